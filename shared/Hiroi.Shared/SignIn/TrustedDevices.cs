using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.Security;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// OWASP's device cookies: a browser that completed a sign-in (every factor the person has) gets a signed cookie naming
/// a random device id, bound to the account by its MAC (the account id is not in it) and good for
/// <see cref="Lifetime"/>. Its holder's tries and sign-in mails are counted per device instead of against the limits
/// every stranger shares, so strangers cannot use those up to lock the person out. The MAC key is derived from the
/// sign-in keys (<see cref="TotpSecretCipher.SecretName"/>, any listed key verifies, the first signs); without them no
/// device is trusted. A cookie that is not exactly what was issued is simply not trusted: reading one never throws.
/// </summary>
public sealed class TrustedDevices(ISecretStore secrets, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(180);

    private const string Version = "d1";
    private const int MaxLength = 200;

    private readonly KeyRingSource _keys = new(secrets, TotpSecretCipher.SecretName, Fernet.KeySize, Fernet.KeySize);

    /// <summary>A new device cookie's value for <paramref name="accountId"/>; null when no sign-in key is configured.</summary>
    public async Task<string?> IssueAsync(string accountId, CancellationToken cancellationToken)
    {
        if (await RingAsync(cancellationToken).ConfigureAwait(false) is not { } ring)
        {
            return null;
        }

        var body = string.Create(CultureInfo.InvariantCulture,
            $"{Version}.{ring.Current.Id}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}.{time.GetUtcNow().ToUnixTimeSeconds()}");
        return body + "." + Mac(ring.Current, accountId, body);
    }

    /// <summary>The device id <paramref name="cookie"/> names when it was issued to <paramref name="accountId"/> and is still current; else null.</summary>
    public async Task<string?> DeviceOfAsync(string? cookie, string accountId, CancellationToken cancellationToken)
    {
        if (cookie is not { Length: > 0 and <= MaxLength } || cookie.Split('.') is not [Version, var kid, var device, var issuedText, var mac]
            || device.Length != 32 || !device.All(char.IsAsciiHexDigitLower)
            || !long.TryParse(issuedText, NumberStyles.None, CultureInfo.InvariantCulture, out var issued)
            || await RingAsync(cancellationToken).ConfigureAwait(false) is not { } ring || ring.Find(kid) is not { } key)
        {
            return null;
        }

        var expected = Mac(key, accountId, cookie[..cookie.LastIndexOf('.')]);
        var age = time.GetUtcNow().ToUnixTimeSeconds() - issued;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(mac)) && age >= 0 && age < Lifetime.TotalSeconds
            ? device
            : null;
    }

    private async Task<KeyRing?> RingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _keys.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SettingException)
        {
            return null; // no sign-in keys: no device is trusted, and everyone is counted as a stranger
        }
    }

    private static string Mac(NamedKey key, string accountId, string body)
    {
        var derived = HMACSHA256.HashData(key.Material.Span, "hiroi trusted device v1"u8);
        return Base64Url.EncodeToString(HMACSHA256.HashData(derived, Encoding.UTF8.GetBytes(accountId + "\n" + body)));
    }
}
