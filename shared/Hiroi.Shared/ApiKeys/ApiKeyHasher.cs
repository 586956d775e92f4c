using System.Security.Cryptography;
using System.Text;

namespace Hiroi.Shared.ApiKeys;

/// <summary>A stored API key hash: PBKDF2-HMAC-SHA256 with a per-key salt.</summary>
public sealed record StoredKeyHash(byte[] Salt, byte[] Hash, int Iterations);

/// <summary>
/// PBKDF2-HMAC-SHA256 at 600,000 iterations (OWASP's figure) with a 128-bit random salt per key. Verification compares in
/// constant time and re-derives with the iterations stored with the hash, so the count can be raised later.
/// </summary>
public static class ApiKeyHasher
{
    public const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static StoredKeyHash Hash(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new StoredKeyHash(salt, Derive(secret, salt, Iterations, HashBytes), Iterations);
    }

    public static bool Verify(string secret, StoredKeyHash stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        // A truncated hash would match far more secrets than the one it was made from: anything under 256 bits is refused.
        if (stored.Iterations < 1 || stored.Hash.Length < HashBytes)
        {
            return false;
        }

        var candidate = Derive(secret, stored.Salt, stored.Iterations, stored.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(candidate, stored.Hash);
    }

    internal static byte[] Derive(string secret, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(secret), salt, iterations, HashAlgorithmName.SHA256, length);
}
