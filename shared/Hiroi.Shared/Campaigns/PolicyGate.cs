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
/// The compliance checks for one contact, run right before its batch is dispatched (never earlier, so a STOP or a
/// do-not-contact entry that arrives mid-campaign counts): the org's do-not-contact list (read for the whole batch at
/// once), consent for the channel, then TCPA quiet hours intersected with the campaign's own window in every zone the
/// recipient may be in. The opt-out is checked by the send itself: <see cref="OutboundSms"/> and
/// <see cref="OutboundCalls"/> read it at the moment of sending, and the step records a refused send as skipped
/// (opted-out), so it is checked once, as late as it can be.
/// </summary>
public sealed class PolicyGate(DoNotContactList doNotContact, RecipientTimeZones zones)
{
    /// <summary>The batch's numbers on the org's do-not-contact list, read now, right before the batch is gated and sent.</summary>
    public Task<IReadOnlySet<string>> DoNotContactAmongAsync(OrgId org, IReadOnlyCollection<string> numbers, CancellationToken cancellationToken) =>
        doNotContact.ListedAmongAsync(org, numbers, cancellationToken);

    /// <param name="doNotContactListed">The batch's listed numbers (<see cref="DoNotContactAmongAsync"/>).</param>
    public GateDecision Evaluate(CampaignEntity campaign, CampaignContactEntity contact, DateTimeOffset now, IReadOnlySet<string> doNotContactListed)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(doNotContactListed);
        if (doNotContactListed.Contains(contact.Number))
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
