using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.SignIn;

/// <summary>Section <c>Hiroi:SignIn</c>: console sign-in lifetimes, limits and where links point.</summary>
public sealed class SignInOptions
{
    public const string Section = "Hiroi:SignIn";

    /// <summary>The console's public origin (links in mail point here), e.g. <c>https://console.hiroi.example</c>. Empty: the request's own origin.</summary>
    public string PublicBaseUrl { get; set; } = string.Empty;

    /// <summary>The ACS Email sender (a verified address of the resource). Empty: mail is not sent, and asking for a link still answers 202.</summary>
    public string SenderAddress { get; set; } = string.Empty;

    [Range(1, 60)]
    public int MagicLinkMinutes { get; set; } = 15;

    [Range(1, 10)]
    public int EmailCodeMinutes { get; set; } = 10;

    [Range(1, 10)]
    public int EmailCodeMaxTries { get; set; } = 5;

    [Range(1, 1440)]
    public int IdleTimeoutMinutes { get; set; } = 30;

    [Range(1, 720)]
    public int AbsoluteTimeoutHours { get; set; } = 12;

    /// <summary>Sessions one person may hold at once; signing in beyond it revokes the oldest.</summary>
    [Range(1, 100)]
    public int MaxSessionsPerPerson { get; set; } = 10;

    /// <summary>
    /// Sign-in mails one address may be sent per 15 minutes at the asking of anyone but the person's own device; more
    /// requests still answer 202 and send nothing.
    /// </summary>
    [Range(1, 100)]
    public int MailsPerAddressPer15Minutes { get; set; } = 20;

    /// <summary>Of those, what one client IP may have sent to one address (and what the person's own device may, apart).</summary>
    [Range(1, 100)]
    public int MailsPerAddressAndIpPer15Minutes { get; set; } = 5;

    /// <summary>The WebAuthn relying party id: the console's registrable domain (passkeys are bound to it), e.g. <c>hiroi.example</c>.</summary>
    public string PasskeyRelyingPartyId { get; set; } = "localhost";

    /// <summary>Origins passkey ceremonies may come from, comma-separated; empty: <see cref="PublicBaseUrl"/>'s origin.</summary>
    public string PasskeyOrigins { get; set; } = string.Empty;

    [Range(30, 600)]
    public int PasskeyChallengeSeconds { get; set; } = 300;

    public TimeSpan MagicLinkLifetime => TimeSpan.FromMinutes(MagicLinkMinutes);

    public TimeSpan EmailCodeLifetime => TimeSpan.FromMinutes(EmailCodeMinutes);

    public TimeSpan IdleTimeout => TimeSpan.FromMinutes(IdleTimeoutMinutes);

    public TimeSpan AbsoluteTimeout => TimeSpan.FromHours(AbsoluteTimeoutHours);

    /// <summary>The origins passkey ceremonies are accepted from.</summary>
    public IReadOnlySet<string> PasskeyOriginSet =>
        (string.IsNullOrWhiteSpace(PasskeyOrigins)
            ? Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var console) ? [console.GetLeftPart(UriPartial.Authority)] : Array.Empty<string>()
            : PasskeyOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
}
