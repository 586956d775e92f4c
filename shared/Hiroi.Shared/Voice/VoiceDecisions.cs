using Hiroi.Shared.Telephony;

namespace Hiroi.Shared.Voice;

/// <summary>Something that happened to a call with an agent on it: a Call Automation callback, a turn's reply, a timer.</summary>
public abstract record VoiceEvent
{
    private VoiceEvent()
    {
    }

    public sealed record Connected : VoiceEvent;

    /// <summary>The caller said or keyed something in answer to the operation <paramref name="Context"/>.</summary>
    /// <param name="OptOut">They asked not to be called again.</param>
    /// <param name="Machine">It was an answering machine's greeting (only asked of a campaign call's first utterance).</param>
    public sealed record Utterance(MediaContext Context, bool OptOut, bool Machine) : VoiceEvent;

    /// <summary>Listening ended without an utterance (silence, or nothing recognisable).</summary>
    public sealed record Silence(MediaContext Context) : VoiceEvent;

    /// <summary>A play (goodbye or hand-off line) finished or failed.</summary>
    public sealed record PlayEnded(MediaContext Context) : VoiceEvent;

    public sealed record TransferAccepted : VoiceEvent;

    public sealed record TransferFailed : VoiceEvent;

    public sealed record Disconnected : VoiceEvent;

    /// <summary>The agent's reply to turn <paramref name="Turn"/> is in the transcript; what the call does next.</summary>
    public sealed record ReplyReady(int Turn, ReplyKind Kind) : VoiceEvent;

    /// <summary>The model has been thinking for a while on turn <paramref name="Turn"/>.</summary>
    public sealed record FillerDue(int Turn) : VoiceEvent;

    /// <summary>The call's time is up (or its hang-up grace after that): from the durable timer.</summary>
    public sealed record Deadline(bool HardStop) : VoiceEvent;

    /// <summary>Any other callback: it changes nothing but lets pending work be sent again.</summary>
    public sealed record Other : VoiceEvent;

    /// <summary>
    /// A realtime call (its audio streamed to a model): the caller finished an utterance answering turn
    /// <paramref name="Turn"/>; <paramref name="OptOut"/> when its words, already known, ask not to be called.
    /// </summary>
    public sealed record Heard(int Turn, bool OptOut) : VoiceEvent;

    /// <summary>A realtime call: the words of the utterance that opened turn <paramref name="Turn"/>, known late, ask not to be called.</summary>
    public sealed record OptOutHeard(int Turn) : VoiceEvent;
}

public enum ReplyKind
{
    /// <summary>Say the reply and listen for the caller's answer.</summary>
    Listen,

    /// <summary>Say the reply and hang up (<c>end_call</c>).</summary>
    End,

    /// <summary>Say the reply and transfer the caller to a person (<c>transfer_to_human</c>).</summary>
    Transfer,

    /// <summary>A cap refused the turn: the fallback line, then hang up.</summary>
    Refused,
}

/// <summary>What the call must do; executed after the decision is stored.</summary>
public abstract record VoiceAction
{
    private VoiceAction()
    {
    }

    /// <summary>Speak the line for <paramref name="Context"/> and listen (a recognize).</summary>
    public sealed record Listen(MediaContext Context, bool InterruptCurrent) : VoiceAction;

    /// <summary>Speak the line for <paramref name="Context"/> (a play: goodbye or hand-off).</summary>
    public sealed record Say(MediaContext Context) : VoiceAction;

    /// <summary>Hand the agent's turn off to a durable workflow.</summary>
    public sealed record StartTurn(int Turn) : VoiceAction;

    /// <summary>Stop whatever is playing or listening: a newer utterance made it stale.</summary>
    public sealed record CancelMedia(int StaleTurn) : VoiceAction;

    public sealed record Transfer(int Turn) : VoiceAction;

    public sealed record HangUp : VoiceAction;

    public sealed record ReleaseSlot : VoiceAction;

    public sealed record AddToDoNotContact : VoiceAction;

    /// <summary>Settle a campaign call's attempt (answered, voicemail).</summary>
    public sealed record SettleCampaign(string Outcome) : VoiceAction;

    /// <summary>Start the durable timer that ends the call at its maximum duration.</summary>
    public sealed record ScheduleDeadline : VoiceAction;
}

/// <summary>The agent's settings and the clock a decision is taken with, and which callback it is taken for (none for a turn's reply or a timer).</summary>
public sealed record VoiceRules(DateTimeOffset Now, int Reprompts, int MaxCallMinutes, bool Outbound, string? EventKey = null);

public static class VoiceEndings
{
    public const string Silence = "silence";
    public const string MaxDuration = "max-duration";
    public const string Busy = "busy";
    public const string Cap = "cap";
    public const string OptedOut = "opted-out";
    public const string Agent = "agent";
    public const string Voicemail = "voicemail";
}

public static class TransferStates
{
    public const string Requested = "requested";
    public const string Saying = "saying";
    public const string HandoffSaid = "handoff-said";
    public const string Sent = "sent";
    public const string Accepted = "accepted";
    public const string Failed = "failed";
}

/// <summary>
/// The phone conversation as a state machine over the call's row: each event changes the row (stored under its ETag)
/// and yields the actions to take. Callbacks arrive at least once, late and out of order, on any instance, so a
/// decision depends only on the row and the event: an event for an older turn changes nothing, a repeated one finds
/// its change already made. Work decided but not yet taken (a prompt ACS has not accepted, a turn not yet handed off,
/// a goodbye not yet said) is decided again by whatever event comes next, so a crash between storing and acting loses
/// nothing. Pure: no I/O, no clock but the one given.
/// </summary>
public static class VoiceDecisions
{
    public static List<VoiceAction> Decide(CallEntity call, VoiceEvent voiceEvent, VoiceRules rules)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(voiceEvent);
        ArgumentNullException.ThrowIfNull(rules);
        var actions = new List<VoiceAction>();
        if (call.AgentId is null)
        {
            return actions;
        }

        Apply(call, voiceEvent, rules, actions);
        if (CallStates.IsTerminal(call.State))
        {
            return actions;
        }

        if (call.Ending is null && call.ConnectedAt is { } connected && rules.Now >= connected.AddMinutes(rules.MaxCallMinutes))
        {
            End(call, VoiceEndings.MaxDuration);
        }

        Pending(call, rules, actions);
        if (voiceEvent is VoiceEvent.Connected)
        {
            // After the greeting, which the caller is waiting for; asked again on every delivery (starting the call's
            // deadline twice is a no-op), so a process that died between the two still leaves the call its deadline.
            actions.Add(new VoiceAction.ScheduleDeadline());
        }

        return actions;
    }

    private static void Apply(CallEntity call, VoiceEvent voiceEvent, VoiceRules rules, List<VoiceAction> actions)
    {
        switch (voiceEvent)
        {
            case VoiceEvent.Disconnected:
                if (call.HoldsCallSlot)
                {
                    call.HoldsCallSlot = false;
                    actions.Add(new VoiceAction.ReleaseSlot());
                }

                call.VoiceOutcome ??= call.ConnectedAt is null ? null : "completed";
                if (rules.Outbound && call.ConnectedAt is not null && !call.Classified)
                {
                    call.Classified = true;
                    actions.Add(new VoiceAction.SettleCampaign(Campaigns.Outcomes.Answered));
                }

                break;
            case VoiceEvent.Connected when call.ListenTurn < 0 && call.Ending is null:
                if (call.Refused is not null)
                {
                    call.VoiceOutcome = "refused";
                    End(call, VoiceEndings.Busy);
                }
                else if (!call.Realtime)
                {
                    Listen(call, 0, MediaPurpose.Prompt);
                }

                // A realtime call's greeting is the model's, once ACS opens the call's media socket.
                break;
            case VoiceEvent.Heard h when call.Realtime && call.Ending is null && h.Turn == call.VoiceTurn:
                Accept(call, new VoiceEvent.Utterance(new MediaContext(h.Turn, MediaPurpose.Prompt), h.OptOut, Machine: false), rules, actions);
                break;
            case VoiceEvent.OptOutHeard o when call.Realtime && call.Ending is null && o.Turn == call.VoiceTurn:
                call.VoiceOutcome = VoiceEndings.OptedOut;
                actions.Add(new VoiceAction.AddToDoNotContact());
                End(call, VoiceEndings.OptedOut);
                break;
            case VoiceEvent.Utterance u when Accepts(call, u.Context):
                Accept(call, u, rules, actions);
                break;
            case VoiceEvent.Silence s when Accepts(call, s.Context) && s.Context.Purpose != MediaPurpose.Filler:
                if (call.Reprompts < rules.Reprompts)
                {
                    call.Reprompts++;
                    Listen(call, call.VoiceTurn, MediaPurpose.Reprompt);
                }
                else
                {
                    End(call, VoiceEndings.Silence);
                }

                break;
            case VoiceEvent.PlayEnded p when p.Context.Purpose == MediaPurpose.Goodbye && call.Ending is not null:
                actions.Add(new VoiceAction.HangUp());
                break;
            case VoiceEvent.PlayEnded p when p.Context.Purpose == MediaPurpose.Handoff && call.Transfer is TransferStates.Requested or TransferStates.Saying
                && p.Context.Turn == call.TransferTurn:
                call.Transfer = TransferStates.HandoffSaid;
                break;
            case VoiceEvent.TransferAccepted when call.Transfer is not (null or TransferStates.Accepted):
                call.Transfer = TransferStates.Accepted;
                call.VoiceOutcome = "transferred";
                break;
            case VoiceEvent.TransferFailed when call.Transfer is TransferStates.Sent or TransferStates.HandoffSaid:
                call.Transfer = TransferStates.Failed;
                Listen(call, call.VoiceTurn, MediaPurpose.Apology);
                break;
            case VoiceEvent.ReplyReady r when r.Turn == call.VoiceTurn && call.Ending is null && call.ListenTurn < r.Turn:
                if (call.Realtime)
                {
                    RealtimeReply(call, r, actions);
                }
                else
                {
                    Reply(call, r);
                }

                break;
            case VoiceEvent.FillerDue f when f.Turn == call.VoiceTurn && call.Ending is null && call.ListenTurn < f.Turn && call.FillerTurn < f.Turn:
                call.FillerTurn = f.Turn;
                // Best effort and listening: not re-sent if lost, and speaking over it starts the next turn.
                actions.Add(new VoiceAction.Listen(new MediaContext(f.Turn, MediaPurpose.Filler), InterruptCurrent: false));
                break;
            case VoiceEvent.Deadline { HardStop: false } when call.ConnectedAt is not null:
                // The timer says the call's time is up, whatever this instance's clock reads.
                End(call, VoiceEndings.MaxDuration);
                break;
            case VoiceEvent.Deadline { HardStop: true } when !CallStates.IsTerminal(call.State):
                actions.Add(new VoiceAction.HangUp());
                break;
        }
    }

    /// <summary>
    /// An answer to the operation the call is listening with now: its turn's filler, or the very prompt last decided
    /// (not an older turn's, not the prompt a re-prompt replaced, not after the goodbye).
    /// </summary>
    private static bool Accepts(CallEntity call, MediaContext context) =>
        call.Ending is null && context.Listens && context.Turn == call.VoiceTurn
        && (context.Purpose == MediaPurpose.Filler
            ? call.FillerTurn == context.Turn
            : call.ListenTurn == context.Turn && call.ListenPurpose == context.Purpose.ToString());

    private static void Accept(CallEntity call, VoiceEvent.Utterance utterance, VoiceRules rules, List<VoiceAction> actions)
    {
        if (utterance.Context.Purpose == MediaPurpose.Filler)
        {
            // They spoke while the agent was still thinking: its pending reply is stale, whatever ACS has queued goes.
            actions.Add(new VoiceAction.CancelMedia(call.VoiceTurn));
        }

        call.VoiceTurn++;
        call.Reprompts = 0;
        // The agent's turn runs inside this callback: if it dies with it, this callback's redelivery runs it again.
        call.TurnOwner = rules.EventKey;
        if (rules.Outbound && !call.Classified)
        {
            call.Classified = true;
            actions.Add(new VoiceAction.SettleCampaign(utterance.Machine ? Campaigns.Outcomes.Voicemail : Campaigns.Outcomes.Answered));
            if (utterance.Machine)
            {
                call.VoiceOutcome = Campaigns.Outcomes.Voicemail;
                End(call, VoiceEndings.Voicemail);
                return;
            }
        }

        if (utterance.OptOut)
        {
            call.VoiceOutcome = VoiceEndings.OptedOut;
            actions.Add(new VoiceAction.AddToDoNotContact());
            End(call, VoiceEndings.OptedOut);
            return;
        }

        if (!call.Realtime)
        {
            // A realtime call's model answers over the stream by itself; a turn-based call's agent runs its turn now.
            actions.Add(new VoiceAction.StartTurn(call.VoiceTurn));
        }
    }

    private static void Reply(CallEntity call, VoiceEvent.ReplyReady reply)
    {
        switch (reply.Kind)
        {
            case ReplyKind.Listen:
                Listen(call, reply.Turn, MediaPurpose.Prompt);
                break;
            case ReplyKind.End:
                End(call, VoiceEndings.Agent);
                break;
            case ReplyKind.Refused:
                call.VoiceOutcome = VoiceEndings.Cap;
                End(call, VoiceEndings.Cap);
                break;
            case ReplyKind.Transfer:
                // The turn is spoken (as the hand-off line), so nothing listens until the transfer fails.
                call.ListenTurn = reply.Turn;
                call.ListenPurpose = nameof(MediaPurpose.Handoff);
                call.ListenSent = true;
                call.Transfer = TransferStates.Requested;
                call.TransferTurn = reply.Turn;
                break;
        }
    }

    /// <summary>
    /// A realtime call's reply has been heard (the model spoke it over the stream, which listens all along): what the
    /// turn asked for is done without saying the reply again.
    /// </summary>
    private static void RealtimeReply(CallEntity call, VoiceEvent.ReplyReady reply, List<VoiceAction> actions)
    {
        call.ListenTurn = reply.Turn;
        call.ListenPurpose = nameof(MediaPurpose.Prompt);
        call.ListenSent = true;
        switch (reply.Kind)
        {
            case ReplyKind.End:
                End(call, VoiceEndings.Agent);
                call.EndingSent = true;
                actions.Add(new VoiceAction.HangUp());
                break;
            case ReplyKind.Refused:
                call.VoiceOutcome = VoiceEndings.Cap;
                End(call, VoiceEndings.Cap);
                break;
            case ReplyKind.Transfer:
                call.Transfer = TransferStates.HandoffSaid;
                call.TransferTurn = reply.Turn;
                break;
        }
    }

    private static void Listen(CallEntity call, int turn, MediaPurpose purpose)
    {
        call.ListenTurn = turn;
        call.ListenPurpose = purpose.ToString();
        call.ListenSent = false;
    }

    private static void End(CallEntity call, string reason)
    {
        if (call.Ending is null)
        {
            call.Ending = reason;
            call.EndingTurn = call.VoiceTurn;
            call.EndingSent = false;
        }
    }

    /// <summary>What was decided and not yet taken, taken (again) now.</summary>
    private static void Pending(CallEntity call, VoiceRules rules, List<VoiceAction> actions)
    {
        if (call.Ending is not null)
        {
            if (!call.EndingSent)
            {
                actions.Add(new VoiceAction.Say(new MediaContext(call.EndingTurn, MediaPurpose.Goodbye)));
            }

            return;
        }

        if (call.Transfer is TransferStates.Requested)
        {
            actions.Add(new VoiceAction.Say(new MediaContext(call.TransferTurn, MediaPurpose.Handoff)));
            return;
        }

        if (call.Transfer is TransferStates.HandoffSaid)
        {
            actions.Add(new VoiceAction.Transfer(call.TransferTurn));
            return;
        }

        if (call.Realtime)
        {
            // The stream listens and the model answers; only a platform line that listens (the transfer apology) is played.
            if (call.ListenTurn >= 0 && !call.ListenSent && call.ListenPurpose == nameof(MediaPurpose.Apology))
            {
                actions.Add(new VoiceAction.Say(new MediaContext(call.ListenTurn, MediaPurpose.Apology)));
            }

            return;
        }

        if (call.VoiceTurn > call.ListenTurn && rules.EventKey is not null && rules.EventKey == call.TurnOwner && !actions.Any(a => a is VoiceAction.StartTurn))
        {
            // The callback that started the agent's turn again, before the turn's reply was decided: the process that ran
            // it died (its claim on the callback lapsed), so the turn runs again (keyed by call and turn: it runs once).
            actions.Add(new VoiceAction.StartTurn(call.VoiceTurn));
        }

        if (call.ListenTurn >= 0 && !call.ListenSent && Enum.TryParse<MediaPurpose>(call.ListenPurpose, out var purpose))
        {
            actions.Add(new VoiceAction.Listen(new MediaContext(call.ListenTurn, purpose), InterruptCurrent: call.ListenTurn > 0));
        }
    }
}
