using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Voice;

/// <summary>Section <c>Hiroi:Voice</c>: how agents run phone calls, their limits, and the lines the platform says itself.</summary>
public sealed class VoiceOptions
{
    public const string Section = "Hiroi:Voice";

    /// <summary>
    /// The public base URL of the host that holds realtime calls' media sockets (the self-host on Container Apps); ACS
    /// streams a realtime agent's call to <c>{base}/api/calls/media</c> (ws or wss, as the base's scheme). Empty: this
    /// host's own <c>Hiroi:Calls:PublicBaseUrl</c>, which only the self-host can serve.
    /// </summary>
    [Url]
    public string? RealtimeBaseUrl { get; set; }

    /// <summary>Calls an org may have connected at once; a call over it hears <see cref="BusyLine"/> and is hung up.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentCallsPerOrg { get; set; } = 10;

    /// <summary>Calls one caller may make to an org within an hour (a cost attack dials the same agent over and over).</summary>
    [Range(1, 1000)]
    public int CallsPerCallerPerHour { get; set; } = 6;

    /// <summary>How long the model may think before the caller hears <see cref="FillerLine"/> (once per turn).</summary>
    [Range(0, 30_000)]
    public int FillerAfterMilliseconds { get; set; } = 2000;

    /// <summary>Tokens one call may spend in all (a turn is refused past it).</summary>
    [Range(1, 100_000_000)]
    public long PerCallTokenCap { get; set; } = 100_000;

    /// <summary>Dollars one call may spend in all.</summary>
    [Range(0.0001, 10_000)]
    public decimal PerCallCostCapUsd { get; set; } = 2;

    /// <summary>How long after the goodbye a call that is still up is hung up anyway (the goodbye's own event was lost).</summary>
    [Range(5, 600)]
    public int HangUpGraceSeconds { get; set; } = 30;

    /// <summary>Longest reply spoken at once; longer ones are cut at a sentence end.</summary>
    [Range(100, 5000)]
    public int MaxReplyCharacters { get; set; } = 1200;

    public string FillerLine { get; set; } = "One moment.";
    public string RepromptLine { get; set; } = "Are you still there?";
    public string SilenceGoodbyeLine { get; set; } = "I haven't heard anything, so I'll hang up now. Goodbye.";
    public string GoodbyeLine { get; set; } = "Thank you for calling. Goodbye.";
    public string MaxDurationLine { get; set; } = "We've reached the time limit for this call. Thank you, goodbye.";
    public string BusyLine { get; set; } = "Sorry, we can't take your call right now. Please try again later. Goodbye.";
    public string CapLine { get; set; } = "Sorry, I can't continue this call right now. Please try again later. Goodbye.";
    public string TransferLine { get; set; } = "Let me connect you with a person. Please hold.";
    public string TransferFailedLine { get; set; } = "Sorry, I couldn't reach anyone right now. Is there anything else I can help you with?";
    public string OptOutLine { get; set; } = "Understood. We won't call you again. Goodbye.";
}
