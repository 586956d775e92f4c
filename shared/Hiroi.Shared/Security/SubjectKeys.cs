using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Security;

/// <summary>
/// Pseudonymous row keys for a person's identifier (an E.164 number or a normalized email) within one org:
/// HMAC-SHA256 under the secret <see cref="SecretName"/>. Suppression lists (opt-outs, do-not-contact) are keyed by it,
/// so erasing the person removes the readable number from the row while the key still blocks every send to it; and
/// with the key in Key Vault, someone holding only the storage account cannot reverse it by trying every number.
/// </summary>
/// <remarks>
/// The key cannot be rotated in place: a new key would give every number a new row key and hide the existing
/// opt-outs. It is set once per deployment (<c>./run</c> generates a local one).
/// </remarks>
public sealed class SubjectKeys(ISecretStore secrets)
{
    /// <summary>Key Vault <c>Privacy--SubjectKey</c>, local settings <c>Hiroi__Privacy__SubjectKey</c>: base64, at least 32 bytes.</summary>
    public const string SecretName = "Privacy:SubjectKey";

    private const int MinKeyBytes = 32;
    private volatile ParsedKey? _last;

    /// <summary>The row key for <paramref name="identifier"/> in <paramref name="org"/>: <c>s_</c> + 40 hex digits.</summary>
    public async Task<string> ForAsync(OrgId org, string identifier, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        var key = await KeyAsync(cancellationToken).ConfigureAwait(false);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(org.Value + "\n" + identifier));
        return "s_" + Convert.ToHexStringLower(mac.AsSpan(0, 20));
    }

    private async Task<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        var value = await secrets.GetAsync(SecretName, cancellationToken).ConfigureAwait(false);
        var last = _last;
        if (last is not null && string.Equals(last.Value, value, StringComparison.Ordinal))
        {
            return last.Key;
        }

        var key = Parse(value);
        _last = new ParsedKey(value!, key);
        return key;
    }

    private static byte[] Parse(string? value)
    {
        const string setting = "Hiroi:" + SecretName;
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SettingException(setting, "is not set in the secret store");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new SettingException(setting, "is not valid base64");
        }

        return key.Length >= MinKeyBytes ? key : throw new SettingException(setting, $"is {key.Length} bytes; it must be at least {MinKeyBytes}");
    }

    // A class, not a record: a record's ToString would print the secret.
    private sealed class ParsedKey(string value, byte[] key)
    {
        public string Value { get; } = value;
        public byte[] Key { get; } = key;
    }
}
