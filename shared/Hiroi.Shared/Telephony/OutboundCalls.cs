using Hiroi.Shared.Acs;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Security;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Telephony;

public enum CallOutcome
{
    Dialing,
    BlockedOptedOut,
    NotOurNumber,
}

public sealed record OutboundCallResult(CallOutcome Outcome, string? CallId = null);

/// <summary>Section <c>Hiroi:Calls</c>.</summary>
public sealed class CallOptions
{
    public const string Section = "Hiroi:Calls";

    /// <summary>Public base URL of this app, where ACS posts call callbacks (<c>{base}/api/calls/callbacks</c>).</summary>
    [System.ComponentModel.DataAnnotations.Url]
    public string PublicBaseUrl { get; set; } = "http://localhost:7071";

    /// <summary>How long a callback URI handed to ACS stays valid.</summary>
    [System.ComponentModel.DataAnnotations.Range(5, 24 * 60)]
    public int CallbackTokenMinutes { get; set; } = 240;

    /// <summary>
    /// The Azure AI services (Speech) account ACS recognizes and speaks through on calls with an agent, connected to the
    /// ACS resource. Empty answers and places calls without it: an agent then cannot talk (the simulator does not need it).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Url]
    public string? CognitiveServicesEndpoint { get; set; }

    public Uri? SpeechEndpoint => string.IsNullOrWhiteSpace(CognitiveServicesEndpoint) ? null : new Uri(CognitiveServicesEndpoint);
}

/// <summary>
/// The only way Hiroi places a call: right before dialing it checks that the org owns the caller id and that the person
/// has not opted out, records the call, and hands ACS a callback URI bound to org and call.
/// </summary>
public sealed class OutboundCalls(
    IAcsClient acs, NumberRegistry numbers, OptOutRegistry optOuts, CallRepository calls, CallbackTokenService tokens,
    IOptions<CallOptions> options, TimeProvider time, ILogger<OutboundCalls> logger)
{
    public async Task<OutboundCallResult> PlaceAsync(
        OrgId org, string from, string to, string idempotencyKey, DateTimeOffset firstAttemptAt, CancellationToken cancellationToken, string? campaignTag = null,
        string? agentId = null)
    {
        if (await numbers.OwnerAsync(from, cancellationToken).ConfigureAwait(false) != org)
        {
            return new OutboundCallResult(CallOutcome.NotOurNumber);
        }

        if (await optOuts.IsOptedOutAsync(org, to, cancellationToken).ConfigureAwait(false))
        {
            logger.LogInformation("Call blocked: {To} opted out of org {OrgId}", PhoneNumberMask.Mask(to), org.Value);
            return new OutboundCallResult(CallOutcome.BlockedOptedOut);
        }

        var call = new CallEntity
        {
            RowKey = CallEntity.NewId(), Direction = Directions.Outbound, CustomerNumber = to, OurNumber = from,
            State = CallStates.Dialing, StartedAt = time.GetUtcNow(), CampaignTag = campaignTag, AgentId = agentId,
        };
        await calls.AddAsync(org, call, cancellationToken).ConfigureAwait(false);
        var callback = await CallbackUriAsync(org, call.RowKey, cancellationToken).ConfigureAwait(false);
        var connection = await acs.CreateCallAsync(new CreateCallRequest(
                from, to, callback, call.RowKey, Idempotency.ToGuid(idempotencyKey), firstAttemptAt, agentId is null ? null : options.Value.SpeechEndpoint), cancellationToken)
            .ConfigureAwait(false);
        await calls.ChangeAsync(org, call.RowKey, c =>
        {
            c.CallConnectionId = connection.CallConnectionId;
            c.ServerCallId ??= connection.ServerCallId;
            c.CorrelationId ??= connection.CorrelationId;
        }, cancellationToken).ConfigureAwait(false);
        if (connection.ServerCallId is not null)
        {
            await calls.IndexAsync(org, call.RowKey, connection.ServerCallId, cancellationToken).ConfigureAwait(false);
        }

        return new OutboundCallResult(CallOutcome.Dialing, call.RowKey);
    }

    /// <summary>The callback URI for a call: our callbacks endpoint with a token binding org, call and expiry.</summary>
    public async Task<Uri> CallbackUriAsync(OrgId org, string callId, CancellationToken cancellationToken)
    {
        var token = await tokens.IssueAsync(org.Value, callId, TimeSpan.FromMinutes(options.Value.CallbackTokenMinutes), cancellationToken).ConfigureAwait(false);
        return new Uri($"{options.Value.PublicBaseUrl.TrimEnd('/')}/api/calls/callbacks?token={Uri.EscapeDataString(token)}");
    }
}
