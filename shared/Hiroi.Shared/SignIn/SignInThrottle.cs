using Hiroi.Shared.RateLimiting;

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
/// Graduated limits on sign-in failures (wrong codes, used links, failed passkeys): a few failures cost a short wait,
/// more a longer one, then the subject is locked out for the rest of an hour. Emailed codes are counted per account and
/// client IP (a stranger guessing from elsewhere cannot lock the person out) with a looser limit per account on top (so
/// guessing from many IPs gets nowhere either); TOTP codes per account; every failure per client IP. Counts live in
/// <see cref="IFailureCounter"/> (Redis when configured), so every instance applies the same limits. An address with no
/// account is counted the same way, so the answers never tell whether it has one.
/// </summary>
public sealed class SignInThrottle(IFailureCounter counter)
{
    /// <summary>Failures allowed per window before the subject waits for the window's end: rising delays, then the lockout.</summary>
    private static readonly (TimeSpan Window, int Limit)[] AccountTiers =
        [(TimeSpan.FromMinutes(1), 5), (TimeSpan.FromMinutes(5), 8), (TimeSpan.FromHours(1), 12)];

    /// <summary>An emailed code's failures from every IP together: at most 720 tries a day against a million possible codes.</summary>
    private static readonly (TimeSpan Window, int Limit)[] AccountFromAnywhereTiers = [(TimeSpan.FromHours(1), 30)];

    /// <summary>Looser per IP (an office shares one), still far below what guessing needs.</summary>
    private static readonly (TimeSpan Window, int Limit)[] ClientTiers =
        [(TimeSpan.FromMinutes(1), 20), (TimeSpan.FromMinutes(5), 40), (TimeSpan.FromHours(1), 100)];

    private static readonly TimeSpan MailWindow = TimeSpan.FromMinutes(15);

    public async Task<ThrottleDecision> CheckAsync(SignInFactor factor, string? accountId, string clientIp, CancellationToken cancellationToken)
    {
        var retryAt = DateTimeOffset.MinValue;
        foreach (var (subject, tiers) in Subjects(factor, accountId, clientIp))
        {
            foreach (var (window, limit) in tiers)
            {
                var count = await counter.GetAsync(Key(subject, window), window, cancellationToken).ConfigureAwait(false);
                if (count.Count >= limit && count.WindowEnds > retryAt)
                {
                    retryAt = count.WindowEnds;
                }
            }
        }

        return retryAt == DateTimeOffset.MinValue ? ThrottleDecision.Go : new ThrottleDecision(false, retryAt);
    }

    public async Task FailedAsync(SignInFactor factor, string? accountId, string clientIp, CancellationToken cancellationToken)
    {
        foreach (var (subject, tiers) in Subjects(factor, accountId, clientIp))
        {
            foreach (var (window, _) in tiers)
            {
                await counter.IncrementAsync(Key(subject, window), window, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Counts a sign-in mail to the account; false when it has had its share for now (nothing is sent, the answer is the same).</summary>
    public async Task<bool> MayMailAsync(string accountId, int perWindow, CancellationToken cancellationToken)
    {
        var count = await counter.IncrementAsync("signin-mail:" + accountId, MailWindow, cancellationToken).ConfigureAwait(false);
        return count.Count <= perWindow;
    }

    private static IEnumerable<(string Subject, (TimeSpan Window, int Limit)[] Tiers)> Subjects(SignInFactor factor, string? accountId, string clientIp)
    {
        switch (factor)
        {
            case SignInFactor.EmailCode when accountId is not null:
                yield return ($"signin-code:{accountId}|{clientIp}", AccountTiers);
                yield return ("signin-code:" + accountId, AccountFromAnywhereTiers);
                break;
            case SignInFactor.Totp when accountId is not null:
                yield return ("signin-totp:" + accountId, AccountTiers);
                break;
        }

        yield return ("signin-ip:" + clientIp, ClientTiers);
    }

    private static string Key(string subject, TimeSpan window) => $"{subject}|{(int)window.TotalSeconds}";
}
