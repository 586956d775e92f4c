using System.Buffers;
using System.Buffers.Text;

namespace Hiroi.Shared.Security;

/// <summary>Strict base64url decoding: only the one unpadded encoding we produce is accepted, so a value has one spelling.</summary>
internal static class CanonicalBase64Url
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static readonly SearchValues<char> AlphabetChars = SearchValues.Create(Alphabet);

    /// <summary>Decodes <paramref name="text"/>; false (never an exception) for empty text, bad characters, padding, whitespace or stray bits.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (!IsCanonical(text))
        {
            return false;
        }

        var decoded = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        if (!TryDecode(text, decoded, out var written) || written != decoded.Length)
        {
            return false;
        }

        bytes = decoded;
        return true;
    }

    /// <summary>
    /// Decodes <paramref name="text"/> into <paramref name="into"/> without allocating; false (never an exception) for text that
    /// is not canonical or does not fit.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> into, out int written)
    {
        written = 0;
        return IsCanonical(text) && Base64Url.GetMaxDecodedLength(text.Length) <= into.Length
            && Base64Url.TryDecodeFromChars(text, into, out written);
    }

    /// <summary>
    /// Whether <paramref name="text"/> is exactly what <see cref="Base64Url.EncodeToString(ReadOnlySpan{byte})"/> writes for
    /// some bytes: only the 64 url-safe characters (no padding, whitespace or anything else), a length a whole number of
    /// bytes can have, and zero bits after the last byte (so no two spellings decode to the same bytes).
    /// </summary>
    public static bool IsCanonical(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || text.Length % 4 == 1 || text.ContainsAnyExcept(AlphabetChars))
        {
            return false;
        }

        var unusedBits = (text.Length % 4) switch { 2 => 4, 3 => 2, _ => 0 };
        return (Alphabet.IndexOf(text[^1], StringComparison.Ordinal) & ((1 << unusedBits) - 1)) == 0;
    }
}
