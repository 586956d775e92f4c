using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Events;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;

namespace Hiroi.Shared.Telephony.Inbound;

/// <summary>
/// Applies a Call Automation callback to its call. Events may come out of order: once a call has ended, a late
/// CallConnected only fills in when it connected, and never brings the call back to life. A campaign call's outcome
/// (answered, no answer, busy, declined, failed) settles its campaign attempt. On a call with an agent, the same write
/// takes the conversation's decision (<see cref="VoiceDecisions"/>), which is carried out once the row is stored.
/// </summary>
public sealed class CallEventApplier(CallRepository calls, CampaignOutcomes campaigns, VoiceCalls voice)
{
    private const string Prefix = "Microsoft.Communication.";

    public async Task ApplyAsync(OrgId org, string callId, InboundEvent inbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var data = CallbackData.Parse(inbound.Data);
        if (await calls.FindAsync(org, callId, cancellationToken) is not { } current)
        {
            return;
        }

        var input = await voice.ReadAsync(org, current, inbound, data, cancellationToken);
        var indexed = current.ServerCallId is not null;
        string? mismatch = null;
        List<VoiceAction> actions = [];
        var changed = await calls.ChangeAsync(org, callId, call =>
        {
            if (data.CallConnectionId is not null && call.CallConnectionId is not null && data.CallConnectionId != call.CallConnectionId)
            {
                mismatch = "the event is for another call connection";
                return;
            }

            call.CallConnectionId ??= data.CallConnectionId;
            call.ServerCallId ??= data.ServerCallId;
            call.CorrelationId ??= data.CorrelationId;
            Apply(call, inbound.Type, inbound.Time, data);
            actions = input is null ? [] : VoiceDecisions.Decide(call, input.Event, input.Rules);
        }, cancellationToken, known: current);

        if (mismatch is not null)
        {
            throw new MalformedEventException(mismatch);
        }

        if (!indexed && changed?.ServerCallId is { } serverCallId)
        {
            await calls.IndexAsync(org, callId, serverCallId, cancellationToken);
        }

        // A call with an agent is settled by its conversation (a person, or their voicemail); others by the call's events.
        if (changed is { CampaignTag: { } tag, CustomerNumber: { } customer } && (changed.AgentId is null || changed.ConnectedAt is null)
            && CampaignOutcomes.FromCallEvent(inbound.Type, data.SubCode, changed.ConnectedAt is not null) is { } outcome)
        {
            await campaigns.SettleAsync(org, tag, customer, outcome, cancellationToken);
        }

        if (changed is not null && actions.Count > 0)
        {
            await voice.ActAsync(org, changed, input?.Agent, actions, cancellationToken);
        }
    }

    private static void Apply(CallEntity call, string type, DateTimeOffset at, CallbackData data)
    {
        var terminal = CallStates.IsTerminal(call.State);
        switch (type)
        {
            case Prefix + "CallConnected":
                call.ConnectedAt ??= at;
                call.State = terminal ? call.State : CallStates.Connected;
                break;
            case Prefix + "CallDisconnected":
                call.EndedAt ??= at;
                call.State = call.State == CallStates.Failed ? call.State : CallStates.Disconnected;
                break;
            case Prefix + "CreateCallFailed" or Prefix + "AnswerFailed":
                call.EndedAt ??= at;
                call.State = CallStates.Failed;
                call.EndReason = $"{type[Prefix.Length..]}:{data.Code}/{data.SubCode}";
                break;
            case Prefix + "RecordingStateChanged":
                call.RecordingState = data.State ?? call.RecordingState;
                break;
            case Prefix + "PlayCompleted" or Prefix + "PlayFailed":
                call.LastMediaResult = $"{type[Prefix.Length..]}:{data.Code}/{data.SubCode}";
                break;
        }
    }
}
