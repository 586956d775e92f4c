using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Campaigns;

public enum DispatchStatus
{
    Sent,
    OptedOut,
    NotOurNumber,
    Rejected,
}

public sealed record DispatchResult(DispatchStatus Status, string? Id = null);

/// <summary>
/// Sends one attempt through the only outbound paths (<see cref="OutboundSms"/>, <see cref="OutboundCalls"/>), which
/// check the opt-out again right before sending. The attempt's intent key is ACS's repeatability id, so sending the
/// same attempt again after a crash reaches the person once. A 429 is not waited out here: it comes back at once
/// (<see cref="Acs.AcsThrottledException"/>), so the step pauses that sender alone.
/// </summary>
public sealed class CampaignDispatcher(OutboundSms sms, OutboundCalls calls)
{
    public async Task<DispatchResult> DispatchAsync(OrgId org, CampaignEntity campaign, CampaignContactEntity contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(contact);
        var key = CampaignContactEntity.IntentKey(campaign.RowKey, contact.Number, contact.Attempt);
        var firstAttemptAt = contact.IntentAt ?? DateTimeOffset.UnixEpoch;
        if (campaign.Channel == Channels.Call)
        {
            var call = await calls.PlaceAsync(org, contact.Sender!, contact.Number, key, firstAttemptAt, cancellationToken,
                CampaignContactEntity.Tag(campaign.RowKey, contact.Attempt), campaign.AgentId).ConfigureAwait(false);
            return call.Outcome switch
            {
                CallOutcome.Dialing => new DispatchResult(DispatchStatus.Sent, call.CallId),
                CallOutcome.BlockedOptedOut => new DispatchResult(DispatchStatus.OptedOut),
                CallOutcome.NotOurNumber => new DispatchResult(DispatchStatus.NotOurNumber),
                _ => new DispatchResult(DispatchStatus.Rejected),
            };
        }

        var sent = await sms.SendAsync(new OutboundSmsRequest(org, contact.Sender!, contact.Number, campaign.Message ?? string.Empty, SmsPurpose.Campaign,
            key, firstAttemptAt, CampaignContactEntity.Tag(campaign.RowKey, contact.Attempt), WaitOutThrottling: false), cancellationToken).ConfigureAwait(false);
        return sent.Outcome switch
        {
            SmsOutcome.Sent => new DispatchResult(DispatchStatus.Sent, sent.MessageId),
            SmsOutcome.BlockedOptedOut => new DispatchResult(DispatchStatus.OptedOut),
            SmsOutcome.NotOurNumber => new DispatchResult(DispatchStatus.NotOurNumber),
            _ => new DispatchResult(DispatchStatus.Rejected),
        };
    }
}
