using System.Security.Cryptography;
using System.Text;
using Azure.Messaging.EventGrid.SystemEvents;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Events;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;
using Hiroi.Shared.Voice.Realtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Telephony.Inbound;

/// <summary>
/// A call to one of our numbers: found by the called number, recorded, and answered with a callback URI bound to org and
/// call. A call to a number no org owns is rejected. A caller who opted out of messages is still answered (they called
/// us), and the call is flagged so nothing follows up by SMS. A number bound to an agent answers with that agent (and
/// the speech service it talks through), once the org's concurrent calls and the caller's calls this hour allow it;
/// over a limit, the call is answered to hear the busy line and is hung up (audited). A realtime agent's call is answered
/// with media streaming to the realtime host's media socket (<see cref="MediaStreamUris"/>), whichever host answers.
/// </summary>
public sealed class IncomingCallConsumer(
    IAcsClient acs, NumberRegistry numbers, OptOutRegistry optOuts, CallRepository calls, OutboundCalls outboundCalls, AgentRepository agents,
    CallLimits limits, AuditTrail audit, UsageMeter usage, IOptions<VoiceOptions> voice, IOptions<CallOptions> callOptions, MediaStreamUris mediaStreams,
    TimeProvider time, ILogger<IncomingCallConsumer> logger)
    : IAcsEventConsumer
{
    public string EventType => "Microsoft.Communication.IncomingCall";

    public async Task HandleAsync(InboundEvent inbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var data = inbound.DataAs<AcsIncomingCallEventData>();
        if (string.IsNullOrEmpty(data.IncomingCallContext) || data.ToCommunicationIdentifier is null)
        {
            throw new MalformedEventException("IncomingCall needs to and incomingCallContext");
        }

        EventFields.Bounded(data.IncomingCallContext, EventFields.MaxIncomingCallContext, "incomingCallContext");
        EventFields.Bounded(data.ServerCallId, EventFields.MaxServerCallId, "serverCallId");
        EventFields.Bounded(data.CorrelationId, EventFields.MaxShortText, "correlationId");

        var org = E164.TryNormalize(data.ToCommunicationIdentifier.PhoneNumber?.Value, out var ourNumber)
            ? await numbers.OwnerAsync(ourNumber, cancellationToken)
            : null;
        if (org is null)
        {
            logger.LogWarning("Incoming call to {To}, which no org owns: rejected", PhoneNumberMask.Mask(ourNumber ?? data.ToCommunicationIdentifier.RawId));
            await RejectAsync(data.IncomingCallContext, cancellationToken);
            return;
        }

        E164.TryNormalize(data.FromCommunicationIdentifier?.PhoneNumber?.Value, out var caller);
        // The id derives from the event, so a handler retaken after a crash finds the same call instead of a second one.
        var callId = "call_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(inbound.Source + "\n" + inbound.Id)).AsSpan(0, 8));
        var agent = await agents.ForNumberAsync(org.Value, ourNumber!, cancellationToken);
        var call = await calls.FindAsync(org.Value, callId, cancellationToken);
        if (call is null)
        {
            call = new CallEntity
            {
                RowKey = callId, Direction = Directions.Inbound, CustomerNumber = caller, OurNumber = ourNumber,
                State = CallStates.Ringing, StartedAt = time.GetUtcNow(), ServerCallId = data.ServerCallId, CorrelationId = data.CorrelationId,
                CallerOptedOut = caller is not null && await optOuts.IsOptedOutAsync(org.Value, caller, cancellationToken),
                AgentId = agent?.RowKey,
                Refused = agent is null ? null : await RefusalAsync(org.Value, callId, caller, cancellationToken),
            };
            call.HoldsCallSlot = agent is not null && call.Refused is null;
            // A refused call only hears the busy line: that needs no stream.
            call.Realtime = call.HoldsCallSlot && agent!.Voice().Mode == AgentVoice.Realtime;
            try
            {
                await calls.AddAsync(org.Value, call, cancellationToken);
            }
            catch (ConflictException)
            {
                // Added by a concurrent retake.
            }

            if (call.Refused is { } reason)
            {
                await audit.RecordAsync(Caller.System(org.Value, "calls"), AuditActions.CallRefused, "call:" + callId, reason, cancellationToken);
                await usage.CountRefusedCallAsync(org.Value, agent!.RowKey, VoiceTurnRunner.Channel, time.GetUtcNow(), cancellationToken);
            }
        }

        if (data.ServerCallId is not null)
        {
            await calls.IndexAsync(org.Value, callId, data.ServerCallId, cancellationToken);
        }

        var callback = await outboundCalls.CallbackUriAsync(org.Value, callId, cancellationToken);
        var speech = agent is null ? null : callOptions.Value.SpeechEndpoint;
        try
        {
            var media = call.Realtime ? new MediaStreamingRequest(await mediaStreams.ForAsync(org.Value, callId, cancellationToken), agent!.Voice().AcceptDtmf) : null;
            var connection = await acs.AnswerCallAsync(new AnswerCallRequest(data.IncomingCallContext, callback, callId, speech, media), cancellationToken);
            await calls.ChangeAsync(org.Value, callId, c =>
            {
                c.CallConnectionId = connection.CallConnectionId;
                if (c.State == CallStates.Ringing)
                {
                    c.State = CallStates.Answered;
                }
            }, cancellationToken);
        }
        catch (AcsRequestException e)
        {
            // The call is gone or was answered elsewhere: nothing a retry would fix.
            logger.LogWarning("ACS refused to answer call {CallId}: {Status}", callId, e.Status);
            var failed = await calls.ChangeAsync(org.Value, callId, c =>
            {
                c.State = CallStates.Failed;
                c.EndReason ??= "answer-refused:" + e.Status;
                c.EndedAt ??= time.GetUtcNow();
            }, cancellationToken);
            if (failed is { HoldsCallSlot: true })
            {
                await limits.ReleaseSlotAsync(org.Value, callId, cancellationToken);
            }
        }
    }

    /// <summary>Takes the caller's hourly count and one of the org's call slots, before the call is answered; why not, if a limit says no.</summary>
    private async Task<string?> RefusalAsync(OrgId org, string callId, string? caller, CancellationToken cancellationToken)
    {
        var options = voice.Value;
        if (caller is not null && !await limits.TryCountCallerAsync(org, caller, options.CallsPerCallerPerHour, cancellationToken))
        {
            return "caller-rate";
        }

        return await limits.TryTakeSlotAsync(org, callId, options.MaxConcurrentCallsPerOrg, cancellationToken) ? null : "concurrent-calls";
    }

    private async Task RejectAsync(string incomingCallContext, CancellationToken cancellationToken)
    {
        try
        {
            await acs.RejectCallAsync(incomingCallContext, cancellationToken);
        }
        catch (AcsRequestException e)
        {
            logger.LogInformation("ACS refused to reject a call: {Status}", e.Status);
        }
    }
}
