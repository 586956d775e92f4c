using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Campaigns;

/// <summary>Campaign policy and step settings (<c>Hiroi:Campaigns</c>).</summary>
public sealed class CampaignOptions
{
    public const string Section = "Hiroi:Campaigns";

    /// <summary>
    /// Zones assumed for a North American number whose zone cannot be told (no zone on the contact, and a number
    /// libphonenumber maps to no zone or to the whole numbering plan, as toll-free numbers): the window must be open in
    /// all of them. Default: the continental US, the usual strictest reading.
    /// </summary>
    public string UnknownZoneFallback { get; set; } = "America/New_York,America/Chicago,America/Denver,America/Phoenix,America/Los_Angeles";

    /// <summary>
    /// Contacts one step looks at, at most (their intents are recorded in one transaction, which holds 100 rows): a large
    /// batch spreads each step's fixed cost (the campaign row, the workflow engine's round trip) over many contacts.
    /// </summary>
    [Range(1, 100)]
    public int StepBatchSize { get; set; } = 100;

    /// <summary>
    /// How long one activity of a campaign's orchestration runs steps back to back before it hands the outcome back: each
    /// hand-back is a round trip through the workflow engine's queues and history, so a busy campaign makes few of them.
    /// </summary>
    [Range(0, 60_000)]
    public int StepsForMilliseconds { get; set; } = 3000;

    /// <summary>Sends one step has in flight at once (each is a round trip to ACS).</summary>
    [Range(1, 32)]
    public int DispatchConcurrency { get; set; } = 8;

    /// <summary>How often a campaign with nothing due but outcomes outstanding looks again (events settle them any time).</summary>
    [Range(1, 3600)]
    public int AwaitingCheckSeconds { get; set; } = 10;

    /// <summary>How long a recorded dispatch intent is left alone before a later step sends the same attempt again.</summary>
    [Range(5, 3600)]
    public int IntentLeaseSeconds { get; set; } = 120;

    /// <summary>
    /// Sends of one attempt before it is given up (outcome <c>send-failed</c>, with the reason on the contact): each
    /// failed send (ACS 429 or 5xx after the client's own retries, a timeout) tries the same attempt again later.
    /// </summary>
    [Range(1, 20)]
    public int SendTries { get; set; } = 5;

    /// <summary>Wait before the first retry of a failed send; it doubles with each failure. A 429 waits its Retry-After instead, on its sender only.</summary>
    [Range(1, 3600)]
    public int SendRetrySeconds { get; set; } = 30;
}
