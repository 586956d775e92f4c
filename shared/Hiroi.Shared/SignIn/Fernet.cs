using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Fernet tokens, to the published spec (github.com/fernet/spec, Spec.md): <c>0x80</c> ‖ timestamp (64-bit big-endian
/// seconds) ‖ IV (16) ‖ AES-128-CBC ciphertext with PKCS#7 padding ‖ HMAC-SHA256 (32) of everything before it, the
/// whole base64url-encoded. The 32-byte key is the signing key (first half) then the encryption key. Written here
/// because no maintained Fernet package is served; checked against the spec's generate, verify and invalid vectors.
/// </summary>
public static class Fernet
{
    public const int KeySize = 32;
    private const byte Version = 0x80;
    private const int HeaderSize = 1 + 8 + 16;
    private const int MacSize = 32;

    /// <summary>How far in the future a token's timestamp may be (the spec's "unacceptable clock skew").</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(60);

    public static string Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, DateTimeOffset now) =>
        Encrypt(key, plaintext, now, RandomNumberGenerator.GetBytes(16));

    /// <summary>With a given IV: for the spec's vectors only; everything else takes a fresh random one.</summary>
    public static string Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, DateTimeOffset now, ReadOnlySpan<byte> iv)
    {
        CheckKey(key);
        using var aes = Aes.Create();
        aes.Key = key[16..].ToArray();
        var ciphertext = aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7);
        var token = new byte[HeaderSize + ciphertext.Length + MacSize];
        token[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(token.AsSpan(1, 8), now.ToUnixTimeSeconds());
        iv.CopyTo(token.AsSpan(9, 16));
        ciphertext.CopyTo(token.AsSpan(HeaderSize));
        HMACSHA256.HashData(key[..16], token.AsSpan(0, HeaderSize + ciphertext.Length), token.AsSpan(HeaderSize + ciphertext.Length));
        // The spec's tokens are padded base64url.
        var text = Base64Url.EncodeToString(token);
        return text.Length % 4 == 0 ? text : text + new string('=', 4 - text.Length % 4);
    }

    /// <summary>
    /// The plaintext of a token made with <paramref name="key"/>, or false when it is malformed, forged or tampered with,
    /// from too far in the future, or (with <paramref name="ttl"/>) older than that.
    /// </summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> key, string? token, DateTimeOffset now, TimeSpan? ttl, out byte[] plaintext)
    {
        CheckKey(key);
        plaintext = [];
        if (token is null || token.Length > 1 << 20 || token.AsSpan().IndexOfAny('+', '/') >= 0 || !Base64Url.IsValid(token.AsSpan().TrimEnd('='), out var length)
            || token.TrimEnd('=').Length + (4 - token.TrimEnd('=').Length % 4) % 4 != token.Length)
        {
            return false;
        }

        var bytes = new byte[length];
        if (!Base64Url.TryDecodeFromChars(token.AsSpan().TrimEnd('='), bytes, out var written) || written < HeaderSize + 16 + MacSize
            || (written - HeaderSize - MacSize) % 16 != 0 || bytes[0] != Version)
        {
            return false;
        }

        var signed = bytes.AsSpan(0, written - MacSize);
        Span<byte> mac = stackalloc byte[MacSize];
        HMACSHA256.HashData(key[..16], signed, mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes.AsSpan(written - MacSize, MacSize)))
        {
            return false;
        }

        var issued = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(1, 8)));
        if (issued > now + MaxClockSkew || (ttl is { } lifetime && now > issued + lifetime))
        {
            return false;
        }

        try
        {
            using var aes = Aes.Create();
            aes.Key = key[16..].ToArray();
            plaintext = aes.DecryptCbc(signed[HeaderSize..], bytes.AsSpan(9, 16), PaddingMode.PKCS7);
            return true;
        }
        catch (CryptographicException)
        {
            return false; // bad padding (only reachable with the right MAC key, i.e. never for a forged token)
        }
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A Fernet key is {KeySize} bytes.", nameof(key));
        }
    }
}
