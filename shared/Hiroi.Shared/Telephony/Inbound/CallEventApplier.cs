using System.Text.Json;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Events;

namespace Hiroi.Shared.Telephony.Inbound;

/// <summary>
/// Applies a Call Automation callback to its call. Events may come out of order: once a call has ended, a late
/// CallConnected only fills in when it connected, and never brings the call back to life. A campaign call's outcome
/// (answered, no answer, busy, declined, failed) settles its campaign attempt.
/// </summary>
public sealed class CallEventApplier(CallRepository calls, CampaignOutcomes campaigns)
{
    private const string Prefix = "Microsoft.Communication.";

    public async Task ApplyAsync(OrgId org, string callId, InboundEvent inbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var data = CallEventData.Parse(inbound.Data);
        string? mismatch = null;
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
        }, cancellationToken);

        if (mismatch is not null)
        {
            throw new MalformedEventException(mismatch);
        }

        if (changed?.ServerCallId is { } serverCallId)
        {
            await calls.IndexAsync(org, callId, serverCallId, cancellationToken);
        }

        if (changed is { CampaignTag: { } tag, CustomerNumber: { } customer }
            && CampaignOutcomes.FromCallEvent(inbound.Type, data.SubCode, changed.ConnectedAt is not null) is { } outcome)
        {
            await campaigns.SettleAsync(org, tag, customer, outcome, cancellationToken);
        }
    }

    private static void Apply(CallEntity call, string type, DateTimeOffset at, CallEventData data)
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

    /// <summary>The fields of a Call Automation event's data that calls care about.</summary>
    private sealed record CallEventData(string? CallConnectionId, string? ServerCallId, string? CorrelationId, int? Code, int? SubCode, string? State)
    {
        public static CallEventData Parse(BinaryData data)
        {
            try
            {
                using var document = JsonDocument.Parse(data.ToMemory());
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new MalformedEventException("call event data must be an object");
                }

                var result = root.TryGetProperty("resultInformation", out var r) && r.ValueKind == JsonValueKind.Object ? r : default;
                return new CallEventData(Text(root, "callConnectionId"), Text(root, "serverCallId"), Text(root, "correlationId"),
                    Number(result, "code"), Number(result, "subCode"), Text(root, "state"));
            }
            catch (JsonException e)
            {
                throw new MalformedEventException("call event data is not JSON", e);
            }
        }

        private static string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString() is { Length: <= 512 } s ? s : throw new MalformedEventException(name + " is too long"),
                JsonValueKind.Null => null,
                _ => throw new MalformedEventException(name + " must be a string"),
            }
            : null;

        private static int? Number(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;
    }
}
