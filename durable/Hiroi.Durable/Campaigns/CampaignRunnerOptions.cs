using System.ComponentModel.DataAnnotations;

namespace Hiroi.Durable.Campaigns;

/// <summary>The self-host's queue runner (<c>Hiroi:CampaignRunner</c>).</summary>
public sealed class CampaignRunnerOptions
{
    public const string Section = "Hiroi:CampaignRunner";

    /// <summary>False stops this instance from taking step messages (the API still schedules them).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a taken message stays invisible; a crashed worker's message comes back after it.</summary>
    [Range(2, 600)]
    public int VisibilitySeconds { get; set; } = 30;

    /// <summary>Deliveries of one message before it goes to the poison queue and the campaign is marked failed.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Pause between polls of an empty queue.</summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 500;

    /// <summary>Messages taken at once (each a different campaign, usually): campaigns run side by side.</summary>
    [Range(1, 32)]
    public int Concurrency { get; set; } = 4;
}
