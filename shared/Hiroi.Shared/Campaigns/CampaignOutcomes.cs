using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Campaigns;

/// <summary>
/// Settles a campaign attempt from the events that report its outcome (delivery reports by their tag). Only the attempt
/// the event names is settled, and only while it waits for its outcome, so a late report of an older attempt changes nothing.
/// </summary>
public sealed class CampaignOutcomes(CampaignRepository campaigns, CampaignContactRepository contacts, TimeProvider time)
{
    public async Task<bool> SettleAsync(OrgId org, string? tag, string recipient, string outcome, CancellationToken cancellationToken)
    {
        if (!CampaignContactEntity.TryParseTag(tag, out var campaignId, out var attempt)
            || await campaigns.FindAsync(org, campaignId, cancellationToken).ConfigureAwait(false) is not { } campaign)
        {
            return false;
        }

        for (var tries = 0; tries < 5; tries++)
        {
            var contact = await contacts.FindAsync(org, campaignId, recipient, cancellationToken).ConfigureAwait(false);
            if (contact is null || contact.Attempt != attempt || contact.State is not (ContactStates.Awaiting or ContactStates.Dispatching))
            {
                return false;
            }

            RetryPolicy.Settle(campaign, contact, outcome, time.GetUtcNow());
            if (await contacts.TryReplaceAsync(org, campaignId, contact, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        throw new TimeoutException("The campaign contact kept changing; the event will be redelivered.");
    }

    /// <summary>
    /// A Call Automation event as a campaign outcome, or null when it settles nothing: connected is answered; a failed
    /// create call by its SIP sub-code (408/480 no answer, 486 busy, 603 declined, else failed); a disconnect before
    /// any connect is no answer.
    /// </summary>
    public static string? FromCallEvent(string eventType, int? subCode, bool connected) => eventType switch
    {
        "Microsoft.Communication.CallConnected" => Outcomes.Answered,
        "Microsoft.Communication.CreateCallFailed" => subCode switch
        {
            408 or 480 => Outcomes.NoAnswer,
            486 => Outcomes.Busy,
            603 => Outcomes.Declined,
            _ => Outcomes.Failed,
        },
        "Microsoft.Communication.CallDisconnected" when !connected => Outcomes.NoAnswer,
        _ => null,
    };

    /// <summary>An ACS SMS delivery status as a campaign outcome.</summary>
    public static string FromDeliveryStatus(string status) =>
        status.Equals("Delivered", StringComparison.OrdinalIgnoreCase) ? Outcomes.Delivered : Outcomes.Failed;
}
