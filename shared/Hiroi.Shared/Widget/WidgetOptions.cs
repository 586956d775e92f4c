using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Widget;

/// <summary>Section <c>Hiroi:Widget</c>: session lifetime, limits and the bot check of the website chat widget.</summary>
public sealed class WidgetOptions
{
    public const string Section = "Hiroi:Widget";

    /// <summary>How often the embed sends a heartbeat.</summary>
    [Range(5, 300)]
    public int HeartbeatSeconds { get; set; } = 20;

    /// <summary>A session with no heartbeat or message for this long has ended.</summary>
    [Range(10, 3600)]
    public int IdleSeconds { get; set; } = 120;

    [Range(1, 1440)]
    public int MaxSessionMinutes { get; set; } = 30;

    /// <summary>The longest a signed-mode token may live (<c>exp - iat</c>).</summary>
    [Range(1, 60)]
    public int TokenMaxTtlMinutes { get; set; } = 10;

    [Range(0, 300)]
    public int ClockSkewSeconds { get; set; } = 30;

    [Range(1, 600)]
    public int MessagesPerMinute { get; set; } = 20;

    [Range(1, 10_000)]
    public int MaxMessageLength { get; set; } = 2000;

    /// <summary>Whether a session must pass the bot check (proof of work and automation signals) first.</summary>
    public bool BotCheck { get; set; } = true;

    /// <summary>Leading zero bits the proof of work needs (about 2^bits hashes in the browser).</summary>
    [Range(0, 24)]
    public int ProofOfWorkBits { get; set; } = 14;

    /// <summary>Refuse sessions whose page reports browser automation (<c>navigator.webdriver</c>).</summary>
    public bool RefuseAutomation { get; set; } = true;

    /// <summary>Serve the demo page (<c>/widget/v1/demo</c>), for local use only.</summary>
    public bool Demo { get; set; }
}
