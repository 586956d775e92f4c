using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Security;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Widget;

/// <summary>What the page sends for the bot check: the solved challenge and what it observed of its browser.</summary>
public sealed record BotEvidence(string? Challenge, string? Solution, bool? Webdriver);

/// <summary>
/// Decides, before a session is made, whether the visitor looks like a browser with a person behind it. Pluggable: a
/// CDN's bot product (Azure Front Door's bot protection, Cloudflare Turnstile…) plugs in as another implementation that
/// checks the token its script put in <see cref="BotEvidence.Solution"/>.
/// </summary>
public interface IWidgetBotCheck
{
    /// <summary>A challenge for the page to work on, or null when this check needs none.</summary>
    Task<WidgetChallenge?> ChallengeAsync(string widgetKey, CancellationToken cancellationToken);

    /// <summary>Null when the visitor passes, else the reason.</summary>
    Task<string?> RefusalAsync(string widgetKey, BotEvidence evidence, CancellationToken cancellationToken);

    /// <summary>
    /// What names passing evidence (a challenge), so it opens one session only: marked used in the same write as the
    /// session. Null when the check's evidence is single use by other means (a CDN's token).
    /// </summary>
    string? SingleUseId(BotEvidence evidence);
}

public sealed record WidgetChallenge(string Challenge, int Bits);

/// <summary>
/// The default check: a server-signed proof-of-work challenge (find a nonce whose SHA-256 over the challenge has
/// <see cref="WidgetOptions.ProofOfWorkBits"/> leading zero bits: cheap once, costly by the thousand), plus the page's
/// automation signal. Challenges are MACed with a key derived from the tenant-secret KEK, so every instance verifies
/// what any issued, and expire after two minutes. A solved challenge opens one session: its nonce is marked used with
/// the session it opened.
/// </summary>
public sealed class ProofOfWorkBotCheck(TenantSecretKeyRing keys, IOptions<WidgetOptions> options, TimeProvider time) : IWidgetBotCheck
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    public async Task<WidgetChallenge?> ChallengeAsync(string widgetKey, CancellationToken cancellationToken)
    {
        var bits = options.Value.ProofOfWorkBits;
        var body = string.Create(CultureInfo.InvariantCulture,
            $"v1.{time.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds()}.{bits}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12))}");
        return new WidgetChallenge(body + "." + await MacAsync(widgetKey, body, cancellationToken).ConfigureAwait(false), bits);
    }

    public async Task<string?> RefusalAsync(string widgetKey, BotEvidence evidence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (options.Value.RefuseAutomation && evidence.Webdriver == true)
        {
            return "the page reports browser automation";
        }

        var parts = evidence.Challenge?.Split('.');
        if (parts is not ["v1", var exp, var bitsText, var nonce, var mac] || evidence.Solution is not { Length: > 0 and <= 64 } solution
            || !long.TryParse(exp, CultureInfo.InvariantCulture, out var expires) || !int.TryParse(bitsText, CultureInfo.InvariantCulture, out var bits))
        {
            return "the bot check's challenge is missing or malformed";
        }

        var body = $"v1.{exp}.{bitsText}.{nonce}";
        var expected = await MacAsync(widgetKey, body, cancellationToken).ConfigureAwait(false);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(mac)))
        {
            return "the bot check's challenge was not issued for this key";
        }

        if (expires < time.GetUtcNow().ToUnixTimeSeconds())
        {
            return "the bot check's challenge expired";
        }

        return LeadingZeroBits(SHA256.HashData(Encoding.UTF8.GetBytes(evidence.Challenge + ":" + solution))) >= bits
            ? null
            : "the bot check's proof of work is wrong";
    }

    /// <summary>The challenge's random nonce (checked by <see cref="RefusalAsync"/> first): what is marked used.</summary>
    public string? SingleUseId(BotEvidence evidence) =>
        evidence?.Challenge?.Split('.') is ["v1", _, _, var nonce, _] && nonce.Length > 0 ? nonce : null;

    /// <summary>Leading zero bits of a hash: what a solution must reach.</summary>
    public static int LeadingZeroBits(ReadOnlySpan<byte> hash)
    {
        var bits = 0;
        foreach (var b in hash)
        {
            if (b == 0)
            {
                bits += 8;
                continue;
            }

            return bits + System.Numerics.BitOperations.LeadingZeroCount((uint)b) - 24;
        }

        return bits;
    }

    private async Task<string> MacAsync(string widgetKey, string body, CancellationToken cancellationToken)
    {
        var kek = (await keys.GetAsync(cancellationToken).ConfigureAwait(false)).Current.Material;
        var key = HMACSHA256.HashData(kek.Span, "hiroi widget challenge v1"u8);
        return Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(widgetKey + "\n" + body)));
    }
}
