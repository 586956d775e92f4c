using Hiroi.Shared.Agents;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Events;
using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Voice;

/// <summary>Schedules the durable timer that ends a call at its maximum duration, however silent its line (each host's engine).</summary>
public interface IVoiceDeadlines
{
    Task ScheduleAsync(OrgId org, string callId, DateTimeOffset endsAt, CancellationToken cancellationToken);
}

/// <summary>A callback read as a voice event, with the rules its decision is taken under.</summary>
public sealed record VoiceInput(VoiceEvent Event, VoiceRules Rules, AgentEntity? Agent);

/// <summary>
/// Runs a call's conversation: reads each callback as a <see cref="VoiceEvent"/> (the caller's words go to the transcript,
/// card numbers masked, before anything else), lets <see cref="VoiceDecisions"/> decide on the call's row, and carries
/// out what it decided. An agent's turn runs inline, inside the callback that started it, so nothing about a call lives
/// anywhere but in storage and in the callback ACS will redeliver until it is answered.
/// </summary>
public sealed class VoiceCalls(
    CallRepository calls, AgentRepository agents, CallTranscriptRepository transcripts, VoiceMedia media, VoiceTurnRunner turns, CallLimits limits,
    DoNotContactList doNotContact, CampaignOutcomes campaigns, IVoiceDeadlines deadlines, TimeProvider time, ILogger<VoiceCalls> logger)
{
    private const string Prefix = "Microsoft.Communication.";

    /// <summary>The callback as a voice event for a call with an agent (null otherwise); writes the caller's utterance first.</summary>
    public async Task<VoiceInput?> ReadAsync(OrgId org, CallEntity call, InboundEvent inbound, CallbackData data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(data);
        var type = inbound.Type;
        if (call.AgentId is null)
        {
            return null;
        }

        var agent = await agents.FindAsync(org, call.AgentId, cancellationToken).ConfigureAwait(false);
        var voice = agent?.Voice() ?? AgentVoice.Default;
        var rules = new VoiceRules(
            time.GetUtcNow(), voice.Reprompts, voice.MaxCallMinutes, call.Direction == Directions.Outbound && call.CampaignTag is not null, inbound.Source + "\n" + inbound.Id);
        // A media event must name one of our operations; one that does not (a context we never wrote) changes nothing.
        var ours = MediaContext.TryParse(data.OperationContext, out var context);
        VoiceEvent voiceEvent = (type.StartsWith(Prefix, StringComparison.Ordinal) ? type[Prefix.Length..] : type) switch
        {
            "CallConnected" => new VoiceEvent.Connected(),
            "CallDisconnected" => new VoiceEvent.Disconnected(),
            "RecognizeCompleted" when ours && (data.Speech is { Length: > 0 } || data.KeyedText is not null) =>
                await UtteranceAsync(org, call, context, data, rules, cancellationToken).ConfigureAwait(false),
            "RecognizeCompleted" or "RecognizeFailed" when ours => new VoiceEvent.Silence(context),
            "PlayCompleted" or "PlayFailed" when ours => new VoiceEvent.PlayEnded(context),
            "CallTransferAccepted" => new VoiceEvent.TransferAccepted(),
            "CallTransferFailed" => new VoiceEvent.TransferFailed(),
            _ => new VoiceEvent.Other(),
        };
        return new VoiceInput(voiceEvent, rules, agent);
    }

    /// <summary>Carries out what was decided for the call (its row already holds the decision).</summary>
    public async Task ActAsync(OrgId org, CallEntity call, AgentEntity? agent, IReadOnlyList<VoiceAction> actions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(actions);
        foreach (var action in actions)
        {
            switch (action)
            {
                case VoiceAction.StartTurn start:
                    await RunTurnAsync(org, call, agent, start.Turn, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.Listen listen when agent is not null:
                    await media.ListenAsync(org, call, agent, listen.Context, listen.InterruptCurrent, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.Say say when agent is not null:
                    await media.SayAsync(org, call, agent, say.Context, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.Listen or VoiceAction.Say:
                    // The agent was deleted mid-call: nobody is left to talk.
                    await media.HangUpAsync(call, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.Transfer transfer when agent is not null:
                    await media.TransferAsync(org, call, agent, transfer.Turn, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.CancelMedia cancel:
                    await media.CancelAsync(call, cancellationToken).ConfigureAwait(false);
                    await transcripts.MarkUnspokenAsync(org, call.RowKey, cancel.StaleTurn, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.HangUp:
                    await media.HangUpAsync(call, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.ReleaseSlot:
                    await limits.ReleaseSlotAsync(org, call.RowKey, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.AddToDoNotContact when call.CustomerNumber is { } number:
                    await doNotContact.AddAsync(Caller.System(org, "agent:" + call.AgentId), number, "asked on a call not to be called", cancellationToken)
                        .ConfigureAwait(false);
                    break;
                case VoiceAction.SettleCampaign settle when call.CustomerNumber is { } number:
                    await campaigns.SettleAsync(org, call.CampaignTag, number, settle.Outcome, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceAction.ScheduleDeadline when call.ConnectedAt is { } connected:
                    await deadlines.ScheduleAsync(org, call.RowKey, connected.AddMinutes((agent?.Voice() ?? AgentVoice.Default).MaxCallMinutes), cancellationToken)
                        .ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>Decides on an event that is not a callback (a turn's reply, a timer) and acts on it; the call's row as decided.</summary>
    public async Task<CallEntity?> DecideAsync(OrgId org, string callId, VoiceEvent voiceEvent, CancellationToken cancellationToken)
    {
        if (await calls.FindAsync(org, callId, cancellationToken).ConfigureAwait(false) is not { AgentId: { } agentId })
        {
            return null;
        }

        return await DecideAsync(org, callId, await agents.FindAsync(org, agentId, cancellationToken).ConfigureAwait(false), voiceEvent, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Decides with the call's agent (and maybe the row as last seen) already at hand; the call as the decision left it.</summary>
    private async Task<CallEntity?> DecideAsync(
        OrgId org, string callId, AgentEntity? agent, VoiceEvent voiceEvent, CancellationToken cancellationToken, CallEntity? known = null)
    {
        var voice = agent?.Voice() ?? AgentVoice.Default;
        List<VoiceAction> actions = [];
        var changed = await calls.ChangeAsync(org, callId, call => actions = VoiceDecisions.Decide(call, voiceEvent,
            new VoiceRules(time.GetUtcNow(), voice.Reprompts, voice.MaxCallMinutes, call.Direction == Directions.Outbound && call.CampaignTag is not null)),
            cancellationToken, known).ConfigureAwait(false);
        if (changed is not null)
        {
            await ActAsync(org, changed, agent, actions, cancellationToken).ConfigureAwait(false);
        }

        return changed;
    }

    private async Task RunTurnAsync(OrgId org, CallEntity call, AgentEntity? agent, int turn, CancellationToken cancellationToken)
    {
        var kind = await turns.RunAsync(org, call, agent, turn, () => DecideAsync(org, call.RowKey, agent, new VoiceEvent.FillerDue(turn), cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        if (await DecideAsync(org, call.RowKey, agent, new VoiceEvent.ReplyReady(turn, kind), cancellationToken, known: call).ConfigureAwait(false) is { } after
            && after.VoiceTurn > turn)
        {
            // The caller spoke again while the agent thought: this reply was never said.
            await transcripts.MarkUnspokenAsync(org, call.RowKey, turn, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The caller's words, masked, in the transcript before the decision (keyed by turn, so a redelivery writes nothing
    /// new); whether they asked not to be called, and whether a campaign call reached a machine.
    /// </summary>
    private async Task<VoiceEvent> UtteranceAsync(OrgId org, CallEntity call, MediaContext context, CallbackData data, VoiceRules rules, CancellationToken cancellationToken)
    {
        var keyed = data.Speech is not { Length: > 0 };
        var text = CardNumbers.Mask(keyed ? data.KeyedText! : data.Speech!);
        if (context.Listens && context.Turn == call.VoiceTurn && call.Ending is null)
        {
            await transcripts.WriteOnceAsync(org, new CallTranscriptEntity
            {
                RowKey = CallTranscriptEntity.Key(call.RowKey, context.Turn + 1, TranscriptRoles.Caller), CallId = call.RowKey, Turn = context.Turn + 1,
                Role = TranscriptRoles.Caller, Text = text, Via = keyed ? "dtmf" : "speech", Confidence = keyed ? null : data.Confidence, At = time.GetUtcNow(),
            }, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            logger.LogInformation("Call {CallId}: an utterance for turn {Turn} while in turn {Current}; not taken", call.RowKey, context.Turn, call.VoiceTurn);
        }

        var machine = rules.Outbound && !call.Classified && !keyed && CallerPhrases.IsAnsweringMachine(text);
        return new VoiceEvent.Utterance(context, OptOut: !keyed && CallerPhrases.IsOptOut(text), Machine: machine);
    }
}
