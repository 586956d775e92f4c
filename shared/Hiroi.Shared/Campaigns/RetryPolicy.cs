namespace Hiroi.Shared.Campaigns;

/// <summary>
/// What an attempt's outcome does to its contact: retried after a back-off when the campaign's policy names the
/// outcome and attempts remain (never after a decline), else final.
/// </summary>
public static class RetryPolicy
{
    public static void Settle(CampaignEntity campaign, CampaignContactEntity contact, string outcome, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(contact);
        contact.Outcome = outcome;
        contact.SettledAt = now;
        if (outcome != Outcomes.Declined && campaign.RetryOutcomes.Contains(outcome) && contact.Attempt < campaign.MaxAttempts)
        {
            contact.State = ContactStates.RetryWait;
            contact.Open = true;
            contact.DueAt = now + TimeSpan.FromMinutes(campaign.RetryBackoffMinutes * Math.Pow(2, contact.Attempt - 1));
            return;
        }

        contact.State = ContactStates.Done;
        contact.Open = false;
    }
}
