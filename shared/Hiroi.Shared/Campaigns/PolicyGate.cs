using Hiroi.Shared.Contacts;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Campaigns;

public abstract record GateDecision
{
    public sealed record Go : GateDecision;

    public sealed record Skip(string Reason) : GateDecision;

    public sealed record Defer(DateTimeOffset Until, string Reason) : GateDecision;
}

public static class SkipReasons
{
    public const string DoNotContact = "do-not-contact";
    public const string OptedOut = "opted-out";
    public const string NoConsent = "no-consent";
    public const string NoPermittedTime = "no-permitted-time";
    public const string QuietHours = "quiet-hours";
    public const string CampaignEnded = "campaign-ended";
}

/// <summary>
/// The compliance checks for one contact, run right before its dispatch (never earlier, so a STOP or a do-not-contact
/// entry that arrives mid-campaign counts): the org's do-not-contact list, consent for the channel, then TCPA quiet
/// hours intersected with the campaign's own window in every zone the recipient may be in. The opt-out is checked by
/// the send itself: <see cref="OutboundSms"/> and <see cref="OutboundCalls"/> read it at the moment of sending, and
/// the step records a refused send as skipped (opted-out), so it is checked once, as late as it can be.
/// </summary>
public sealed class PolicyGate(DoNotContactList doNotContact, RecipientTimeZones zones)
{
    public async Task<GateDecision> EvaluateAsync(OrgId org, CampaignEntity campaign, CampaignContactEntity contact, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(contact);
        if (await doNotContact.IsListedAsync(org, contact.Number, cancellationToken).ConfigureAwait(false))
        {
            return new GateDecision.Skip(SkipReasons.DoNotContact);
        }

        var consent = campaign.Channel == Channels.Sms ? contact.SmsConsent : contact.CallConsent;
        if (consent != true)
        {
            return new GateDecision.Skip(SkipReasons.NoConsent);
        }

        var next = CallingWindow.NextOpen(zones.For(contact.TimeZone, contact.Number), Window(campaign), now);
        if (next is null)
        {
            return new GateDecision.Skip(SkipReasons.NoPermittedTime);
        }

        return next > now ? new GateDecision.Defer(next.Value, SkipReasons.QuietHours) : new GateDecision.Go();
    }

    /// <summary>Whether the calling window is still open for the contact at <paramref name="at"/> (checked again at the moment of sending).</summary>
    public bool IsWindowOpen(CampaignEntity campaign, CampaignContactEntity contact, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(contact);
        return CallingWindow.IsOpen(zones.For(contact.TimeZone, contact.Number), Window(campaign), at);
    }

    private static DailyWindow Window(CampaignEntity campaign) =>
        DailyWindow.Tcpa.Intersect(new DailyWindow(campaign.WindowStartMinutes, campaign.WindowEndMinutes));
}
