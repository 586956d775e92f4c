using System.Security.Cryptography;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.ApiKeys;

/// <summary>
/// The parts of an API key: <c>hiroi_sk_{org hex 20}_{key id hex 16}_{secret hex 64}</c>. The recognizable prefix lets
/// secret scanners find leaked keys; the org and key id make the lookup a single point read; the secret is 256 bits
/// from a CSPRNG.
/// </summary>
public readonly record struct ApiKeyParts(OrgId OrgId, string KeyId, string Secret);

public static class ApiKeyFormat
{
    public const string Prefix = "hiroi_sk_";
    private const int KeyIdHexLength = 16;
    private const int SecretHexLength = 64;
    private const int TotalLength = 9 + OrgId.HexLength + 1 + KeyIdHexLength + 1 + SecretHexLength;

    public static string NewKeyId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(KeyIdHexLength / 2));

    /// <summary>Creates a fresh key for a key id; the plaintext is shown to its creator once and never stored.</summary>
    public static ApiKeyParts NewKey(OrgId org, string keyId) =>
        new(org, keyId, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretHexLength / 2)));

    public static string Format(ApiKeyParts key) => $"{Prefix}{key.OrgId.Hex}_{key.KeyId}_{key.Secret}";

    public static bool IsKeyId(string? text) => text is { Length: KeyIdHexLength } && LowerHex.IsLowerHex(text);

    public static bool TryParse(string? text, out ApiKeyParts key)
    {
        key = default;
        if (text is null || text.Length != TotalLength || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text.AsSpan(Prefix.Length);
        var org = rest[..OrgId.HexLength];
        var keyId = rest.Slice(OrgId.HexLength + 1, KeyIdHexLength);
        var secret = rest[(OrgId.HexLength + 1 + KeyIdHexLength + 1)..];
        if (rest[OrgId.HexLength] != '_' || rest[OrgId.HexLength + 1 + KeyIdHexLength] != '_'
            || !LowerHex.IsLowerHex(org) || !LowerHex.IsLowerHex(keyId) || !LowerHex.IsLowerHex(secret))
        {
            return false;
        }

        key = new ApiKeyParts(OrgId.FromHex(org.ToString()), keyId.ToString(), secret.ToString());
        return true;
    }
}
