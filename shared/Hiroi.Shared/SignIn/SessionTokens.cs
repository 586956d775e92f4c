using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Security;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Opaque secrets handed to a browser or put in mail (session ids, magic links): 256 random bits, base64url. Storage only
/// ever sees their SHA-256, so a copy of the tables signs nobody in.
/// </summary>
public static class SessionTokens
{
    public const int Bytes = 32;

    /// <summary>Length of a token's base64url text (32 bytes, no padding).</summary>
    public const int TextLength = 43;

    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(Bytes));

    /// <summary>Whether <paramref name="text"/> is spelled exactly as <see cref="New"/> spells a token: 43 canonical base64url characters.</summary>
    public static bool IsToken(ReadOnlySpan<char> text) => text.Length == TextLength && CanonicalBase64Url.IsCanonical(text);

    /// <summary>The token's SHA-256 in lowercase hex, or null when the text is not a token we could have issued.</summary>
    public static string? Hash(string? token)
    {
        if (token is null || !IsToken(token) || !CanonicalBase64Url.TryDecode(token, out var raw) || raw.Length != Bytes)
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(raw, digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>
    /// The session's CSRF token: derived from the session id (which script cannot read from its HttpOnly cookie), so it
    /// needs no storage and changes whenever the id rotates.
    /// </summary>
    public static string CsrfFor(string sessionToken)
    {
        ArgumentNullException.ThrowIfNull(sessionToken);
        var digest = HMACSHA256.HashData(Encoding.UTF8.GetBytes(sessionToken), "hiroi-csrf"u8);
        return Base64Url.EncodeToString(digest);
    }

    /// <summary>Whether <paramref name="presented"/> is the session's CSRF token, in constant time.</summary>
    public static bool IsCsrfFor(string sessionToken, string? presented)
    {
        if (presented is null)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(CsrfFor(sessionToken));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(presented));
    }
}
