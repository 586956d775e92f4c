using FsCheck;
using FsCheck.Fluent;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Voice;

namespace Hiroi.Tests.Voice;

/// <summary>The conversation's state machine, without storage: callbacks come again, late and out of order, and change nothing twice.</summary>
public class VoiceDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly VoiceRules Rules = new(Now, Reprompts: 1, MaxCallMinutes: 10, Outbound: false);

    private static CallEntity Connected() => new() { RowKey = "call_1", AgentId = "agt_1", State = CallStates.Connected, ConnectedAt = Now, CustomerNumber = "+15550001111" };

    private static MediaContext Prompt(int turn) => new(turn, MediaPurpose.Prompt);

    /// <summary>What an executor does after acting: records that ACS took the operation.</summary>
    private static void Sent(CallEntity call, IEnumerable<VoiceAction> actions)
    {
        foreach (var action in actions)
        {
            switch (action)
            {
                case VoiceAction.Listen { Context.Purpose: not MediaPurpose.Filler } l when call.ListenTurn == l.Context.Turn:
                    call.ListenSent = true;
                    break;
                case VoiceAction.Say { Context.Purpose: MediaPurpose.Goodbye }:
                    call.EndingSent = true;
                    break;
            }
        }
    }

    [Fact]
    public void Connecting_greets_once_then_schedules_the_deadline_which_a_redelivery_asks_for_again()
    {
        var call = Connected();

        var first = VoiceDecisions.Decide(call, new VoiceEvent.Connected(), Rules);
        Sent(call, first);
        var again = VoiceDecisions.Decide(call, new VoiceEvent.Connected(), Rules);

        Assert.Equal([new VoiceAction.Listen(Prompt(0), false), new VoiceAction.ScheduleDeadline()], first);
        Assert.Equal([new VoiceAction.ScheduleDeadline()], again);
    }

    [Fact]
    public void An_utterance_starts_one_turn_and_its_redelivery_or_an_older_turns_answer_changes_nothing()
    {
        var call = Connected();
        Sent(call, VoiceDecisions.Decide(call, new VoiceEvent.Connected(), Rules));

        var first = VoiceDecisions.Decide(call, new VoiceEvent.Utterance(Prompt(0), false, false), Rules);
        Sent(call, first);
        var repeated = VoiceDecisions.Decide(call, new VoiceEvent.Utterance(Prompt(0), false, false), Rules);
        var stale = VoiceDecisions.Decide(call, new VoiceEvent.Silence(Prompt(0)), Rules);

        Assert.Equal([new VoiceAction.StartTurn(1)], first);
        Assert.Equal(1, call.VoiceTurn);
        Assert.Empty(repeated);
        Assert.Empty(stale);
    }

    [Fact]
    public void A_turn_whose_process_died_runs_again_when_the_callback_that_started_it_is_redelivered_and_on_no_other()
    {
        var call = Connected();
        Sent(call, VoiceDecisions.Decide(call, new VoiceEvent.Connected(), Rules));
        var utterance = new VoiceEvent.Utterance(Prompt(0), false, false);
        var started = VoiceDecisions.Decide(call, utterance, Rules with { EventKey = "acs\ne1" }); // the turn started, then the process died

        var other = VoiceDecisions.Decide(call, new VoiceEvent.Other(), Rules with { EventKey = "acs\ne2" });
        var redelivered = VoiceDecisions.Decide(call, utterance, Rules with { EventKey = "acs\ne1" });
        var replied = VoiceDecisions.Decide(call, new VoiceEvent.ReplyReady(1, ReplyKind.Listen), Rules);
        Sent(call, replied);
        var lateRedelivery = VoiceDecisions.Decide(call, utterance, Rules with { EventKey = "acs\ne1" });

        Assert.Equal([new VoiceAction.StartTurn(1)], started);
        Assert.Empty(other);
        Assert.Equal([new VoiceAction.StartTurn(1)], redelivered);
        Assert.Empty(lateRedelivery);
    }

    [Fact]
    public void A_reply_is_spoken_once_and_a_stale_reply_not_at_all()
    {
        var call = Connected();
        Sent(call, VoiceDecisions.Decide(call, new VoiceEvent.Connected(), Rules));
        Sent(call, VoiceDecisions.Decide(call, new VoiceEvent.Utterance(Prompt(0), false, false), Rules));
        Sent(call, VoiceDecisions.Decide(call, new VoiceEvent.FillerDue(1), Rules));
        // The caller speaks over the filler: turn 1's reply is stale before it is ready.
        var spokeOver = VoiceDecisions.Decide(call, new VoiceEvent.Utterance(new MediaContext(1, MediaPurpose.Filler), false, false), Rules);
        Sent(call, spokeOver);

        var staleReply = VoiceDecisions.Decide(call, new VoiceEvent.ReplyReady(1, ReplyKind.Listen), Rules);
        var reply = VoiceDecisions.Decide(call, new VoiceEvent.ReplyReady(2, ReplyKind.Listen), Rules);
        Sent(call, reply);
        var replyAgain = VoiceDecisions.Decide(call, new VoiceEvent.ReplyReady(2, ReplyKind.Listen), Rules);

        Assert.Contains(new VoiceAction.CancelMedia(1), spokeOver);
        Assert.Empty(staleReply);
        Assert.Equal([new VoiceAction.Listen(Prompt(2), true)], reply);
        Assert.Empty(replyAgain);
    }

    [Fact]
    public void Silence_reprompts_then_says_goodbye_and_hangs_up_when_the_goodbye_has_played()
    {
        var call = Connected();
        Sent(call, VoiceDecisions.Decide(call, new VoiceEvent.Connected(), Rules));

        var reprompt = VoiceDecisions.Decide(call, new VoiceEvent.Silence(Prompt(0)), Rules);
        Sent(call, reprompt);
        var goodbye = VoiceDecisions.Decide(call, new VoiceEvent.Silence(new MediaContext(0, MediaPurpose.Reprompt)), Rules);
        Sent(call, goodbye);
        var hangUp = VoiceDecisions.Decide(call, new VoiceEvent.PlayEnded(new MediaContext(0, MediaPurpose.Goodbye)), Rules);

        Assert.Equal([new VoiceAction.Listen(new MediaContext(0, MediaPurpose.Reprompt), false)], reprompt);
        Assert.Equal([new VoiceAction.Say(new MediaContext(0, MediaPurpose.Goodbye))], goodbye);
        Assert.Equal(VoiceEndings.Silence, call.Ending);
        Assert.Equal([new VoiceAction.HangUp()], hangUp);
    }

    [Fact]
    public void The_calls_time_is_up_on_any_event_after_its_maximum_and_on_its_timer()
    {
        var late = Connected();
        Sent(late, VoiceDecisions.Decide(late, new VoiceEvent.Connected(), Rules));
        var onEvent = VoiceDecisions.Decide(late, new VoiceEvent.Other(), Rules with { Now = Now.AddMinutes(10) });

        var timed = Connected();
        Sent(timed, VoiceDecisions.Decide(timed, new VoiceEvent.Connected(), Rules));
        var onTimer = VoiceDecisions.Decide(timed, new VoiceEvent.Deadline(HardStop: false), Rules);
        var hardStop = VoiceDecisions.Decide(timed, new VoiceEvent.Deadline(HardStop: true), Rules);

        Assert.Equal(VoiceEndings.MaxDuration, late.Ending);
        Assert.Contains(new VoiceAction.Say(new MediaContext(0, MediaPurpose.Goodbye)), onEvent);
        Assert.Equal(VoiceEndings.MaxDuration, timed.Ending);
        Assert.Contains(new VoiceAction.Say(new MediaContext(0, MediaPurpose.Goodbye)), onTimer);
        Assert.Contains(new VoiceAction.HangUp(), hardStop);
    }

    [Fact]
    public void A_refused_call_hears_the_busy_line_and_a_disconnect_gives_its_slot_back_once()
    {
        var refused = Connected();
        refused.Refused = "concurrent-calls";
        var busy = VoiceDecisions.Decide(refused, new VoiceEvent.Connected(), Rules);

        var held = Connected();
        held.HoldsCallSlot = true;
        held.State = CallStates.Disconnected;
        var released = VoiceDecisions.Decide(held, new VoiceEvent.Disconnected(), Rules);
        var again = VoiceDecisions.Decide(held, new VoiceEvent.Disconnected(), Rules);

        Assert.Equal(VoiceEndings.Busy, refused.Ending);
        Assert.Contains(new VoiceAction.Say(new MediaContext(0, MediaPurpose.Goodbye)), busy);
        Assert.Equal([new VoiceAction.ReleaseSlot()], released);
        Assert.Empty(again);
    }

    [Fact]
    public void A_campaign_calls_first_utterance_from_a_machine_leaves_the_voicemail_and_settles_it_as_voicemail()
    {
        var call = Connected();
        call.CampaignTag = "cmp_1:1";
        var rules = Rules with { Outbound = true };
        Sent(call, VoiceDecisions.Decide(call, new VoiceEvent.Connected(), rules));

        var machine = VoiceDecisions.Decide(call, new VoiceEvent.Utterance(Prompt(0), OptOut: false, Machine: true), rules);

        Assert.Contains(new VoiceAction.SettleCampaign("voicemail"), machine);
        Assert.Contains(new VoiceAction.Say(new MediaContext(1, MediaPurpose.Goodbye)), machine);
        Assert.DoesNotContain(machine, a => a is VoiceAction.StartTurn);
    }

    /// <summary>
    /// Whatever has happened on a call, an answer to an older turn (a late, reordered callback) neither speaks, listens
    /// nor starts a turn: only what is pending from the call's own state may be sent again.
    /// </summary>
    [Fact]
    public void An_older_turns_callback_arriving_late_never_acts() =>
        Prop.ForAll(Script().ToArbitrary(), Gen.Elements(MediaPurpose.Prompt, MediaPurpose.Reprompt, MediaPurpose.Filler, MediaPurpose.Apology).ToArbitrary(),
            (events, purpose) =>
            {
                var call = Connected();
                foreach (var e in events)
                {
                    Sent(call, VoiceDecisions.Decide(call, e, Rules));
                }

                var pendingBefore = VoiceDecisions.Decide(Copy(call), new VoiceEvent.Other(), Rules);
                return Enumerable.Range(0, call.VoiceTurn).All(older =>
                {
                    var copy = Copy(call);
                    var late = VoiceDecisions.Decide(copy, new VoiceEvent.Utterance(new MediaContext(older, purpose), false, false), Rules);
                    var lateSilence = VoiceDecisions.Decide(Copy(call), new VoiceEvent.Silence(new MediaContext(older, purpose)), Rules);
                    return late.SequenceEqual(pendingBefore) && lateSilence.SequenceEqual(pendingBefore) && copy.VoiceTurn == call.VoiceTurn;
                });
            }).QuickCheckThrowOnFailure();

    private static CallEntity Copy(CallEntity call) => new()
    {
        RowKey = call.RowKey, AgentId = call.AgentId, State = call.State, ConnectedAt = call.ConnectedAt, CustomerNumber = call.CustomerNumber,
        VoiceTurn = call.VoiceTurn, ListenTurn = call.ListenTurn, ListenPurpose = call.ListenPurpose, ListenSent = call.ListenSent, TurnOwner = call.TurnOwner,
        FillerTurn = call.FillerTurn, Reprompts = call.Reprompts, Ending = call.Ending, EndingTurn = call.EndingTurn, EndingSent = call.EndingSent,
        Transfer = call.Transfer, TransferTurn = call.TransferTurn, HoldsCallSlot = call.HoldsCallSlot, Refused = call.Refused, Classified = call.Classified,
    };

    private static Gen<VoiceEvent[]> Script() =>
        Gen.ArrayOf(Gen.OneOf(
            Gen.Constant<VoiceEvent>(new VoiceEvent.Connected()),
            Gen.Choose(0, 3).Select(t => (VoiceEvent)new VoiceEvent.Utterance(Prompt(t), false, false)),
            Gen.Choose(0, 3).Select(t => (VoiceEvent)new VoiceEvent.Silence(Prompt(t))),
            Gen.Choose(0, 3).Select(t => (VoiceEvent)new VoiceEvent.ReplyReady(t, ReplyKind.Listen)),
            Gen.Choose(0, 3).Select(t => (VoiceEvent)new VoiceEvent.FillerDue(t)),
            Gen.Choose(0, 3).Select(t => (VoiceEvent)new VoiceEvent.PlayEnded(new MediaContext(t, MediaPurpose.Goodbye))),
            Gen.Constant<VoiceEvent>(new VoiceEvent.Other())));
}
