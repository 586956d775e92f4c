using Hiroi.Shared.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.SignIn;

/// <summary>Whether an attempt may go ahead, and if not, when it may.</summary>
public readonly record struct ThrottleDecision(bool Allowed, DateTimeOffset RetryAt)
{
    public static ThrottleDecision Go { get; } = new(true, default);
}

/// <summary>What a failure was a failure of: each has its own count per account, so failing one never locks the other.</summary>
public enum SignInFactor
{
    /// <summary>Links, passkeys: no account is named, so only the client IP is counted.</summary>
    None,

    /// <summary>An emailed code: anyone can name an account, so the tight limits are per account and IP.</summary>
    EmailCode,

    /// <summary>A TOTP or recovery code: only someone past the first factor can try one, so the limits are per account.</summary>
    Totp,
}

/// <summary>
/// One try at a sign-in factor, spent before the factor is checked. A failure keeps it spent; anything else (the right
/// code, or no check made at all) gives it back with <see cref="NotFailedAsync"/>. <see cref="Device"/> is the person's
/// trusted device the try came from, if any.
/// </summary>
public sealed class SignInTry(HeldSlots slots, string? device)
{
    public bool Allowed => slots.Allowed;

    public DateTimeOffset RetryAt => slots.RetryAt;

    public string? Device => device;

    /// <summary>The try turned out not to be a failure: its slots go back (whatever the request's own cancellation).</summary>
    public Task NotFailedAsync() => slots.GiveBackAsync(CancellationToken.None);
}

/// <summary>
/// Graduated limits on sign-in failures (wrong codes, used links, failed passkeys): a few failures cost a short wait,
/// more a longer one, then the subject is locked out for the rest of an hour. Every try takes its slot in each count it
/// falls under before the factor is looked at, atomically (<see cref="LimitCounters.Lockouts"/>: Redis when configured, so
/// while it is unreachable sign-in answers 503 rather than forget a lockout), so
/// concurrent tries cannot share a count. Strangers' emailed codes are counted per account and client IP, with a looser
/// limit per account on top (guessing from many IPs gets nowhere), TOTP codes per account, and everything per IP. A
/// browser the person completed a sign-in on (<see cref="TrustedDevices"/>) is counted per device instead of under the
/// account-wide and IP limits: strangers using those up cannot lock the person out (OWASP's device cookies). Sign-in
/// mails likewise: per address and IP beside a looser per-address share, per device for the person's own. An address
/// with no account is counted the same way, so the answers never tell whether it has one.
/// </summary>
public sealed class SignInThrottle([FromKeyedServices(LimitCounters.Lockouts)] ILimitCounter counter, TrustedDevices devices)
{
    /// <summary>Failures allowed per window before the subject waits for the window's end: rising delays, then the lockout.</summary>
    private static readonly (TimeSpan Window, int Limit)[] AccountTiers =
        [(TimeSpan.FromMinutes(1), 5), (TimeSpan.FromMinutes(5), 8), (TimeSpan.FromHours(1), 12)];

    /// <summary>Strangers' emailed codes from every IP together: at most 720 tries a day against a million possible codes.</summary>
    private static readonly (TimeSpan Window, int Limit)[] AccountFromAnywhereTiers = [(TimeSpan.FromHours(1), 30)];

    /// <summary>Looser per IP (an office shares one), still far below what guessing needs.</summary>
    private static readonly (TimeSpan Window, int Limit)[] ClientTiers =
        [(TimeSpan.FromMinutes(1), 20), (TimeSpan.FromMinutes(5), 40), (TimeSpan.FromHours(1), 100)];

    private static readonly TimeSpan MailWindow = TimeSpan.FromMinutes(15);

    /// <summary>Spends a try at <paramref name="factor"/> for the account, or says when one may be made.</summary>
    public async Task<SignInTry> TryAsync(SignInFactor factor, string? accountId, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var device = factor != SignInFactor.None && accountId is not null ? await DeviceOfAsync(client, accountId, cancellationToken).ConfigureAwait(false) : null;
        var rules = Subjects(factor, accountId, client.Ip, device)
            .SelectMany(s => s.Tiers.Select(t => new LimitRule($"{s.Subject}|{(int)t.Window.TotalSeconds}", t.Window, t.Limit)))
            .OrderByDescending(r => r.Window); // the longest first, so a refusal names the latest time worth coming back
        return new SignInTry(await HeldSlots.TakeAsync(counter, rules, cancellationToken).ConfigureAwait(false), device);
    }

    /// <summary>The person's trusted device the client is, when its cookie was issued to <paramref name="accountId"/>; else null.</summary>
    public Task<string?> DeviceOfAsync(SignInClient client, string accountId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        return devices.DeviceOfAsync(client.DeviceCookie, accountId, cancellationToken);
    }

    /// <summary>Whether the client IP may ask for anything now (its failures are under its limits): a slot taken and given straight back.</summary>
    public async Task<ThrottleDecision> ClientMayAskAsync(SignInClient client, CancellationToken cancellationToken)
    {
        var look = await TryAsync(SignInFactor.None, null, client, cancellationToken).ConfigureAwait(false);
        if (!look.Allowed)
        {
            return new ThrottleDecision(false, look.RetryAt);
        }

        await look.NotFailedAsync().ConfigureAwait(false);
        return ThrottleDecision.Go;
    }

    /// <summary>
    /// Takes a sign-in mail slot for the account; false when the asker has had its share for now (nothing is sent, the
    /// answer is the same). The person's device has a share of its own; anyone else shares one per address and IP and
    /// one, looser, per address.
    /// </summary>
    public async Task<bool> TakeMailAsync(string accountId, string? clientIp, string? device, SignInOptions settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        LimitRule[] rules = device is not null
            ? [new($"signin-mail-device:{accountId}|{device}", MailWindow, settings.MailsPerAddressAndIpPer15Minutes)]
            : [new("signin-mail:" + accountId, MailWindow, settings.MailsPerAddressPer15Minutes),
                new($"signin-mail:{accountId}|{clientIp ?? "-"}", MailWindow, settings.MailsPerAddressAndIpPer15Minutes)];
        return (await HeldSlots.TakeAsync(counter, rules, cancellationToken).ConfigureAwait(false)).Allowed;
    }

    private static IEnumerable<(string Subject, (TimeSpan Window, int Limit)[] Tiers)> Subjects(SignInFactor factor, string? accountId, string clientIp, string? device)
    {
        switch (factor)
        {
            case SignInFactor.EmailCode when accountId is not null && device is not null:
                yield return ($"signin-code-device:{accountId}|{device}", AccountTiers);
                yield break;
            case SignInFactor.EmailCode when accountId is not null:
                yield return ($"signin-code:{accountId}|{clientIp}", AccountTiers);
                yield return ("signin-code:" + accountId, AccountFromAnywhereTiers);
                break;
            case SignInFactor.Totp when accountId is not null && device is not null:
                yield return ($"signin-totp-device:{accountId}|{device}", AccountTiers);
                yield break;
            case SignInFactor.Totp when accountId is not null:
                yield return ("signin-totp:" + accountId, AccountTiers);
                break;
        }

        yield return ("signin-ip:" + clientIp, ClientTiers);
    }
}
