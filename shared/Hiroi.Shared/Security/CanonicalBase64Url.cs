using System.Buffers.Text;

namespace Hiroi.Shared.Security;

/// <summary>Strict base64url decoding: only the one unpadded encoding we produce is accepted, so a value has one spelling.</summary>
internal static class CanonicalBase64Url
{
    /// <summary>Decodes <paramref name="text"/>; false (never an exception) for empty text, bad characters, padding, whitespace or stray bits.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.IsEmpty || !Base64Url.IsValid(text, out var length))
        {
            return false;
        }

        var decoded = new byte[length];
        try
        {
            if (!Base64Url.TryDecodeFromChars(text, decoded, out var written) || written != length
                || !text.SequenceEqual(Base64Url.EncodeToString(decoded)))
            {
                return false;
            }
        }
        catch (FormatException)
        {
            // IsValid said yes but the decoder disagrees (whitespace, odd padding): not ours either way.
            return false;
        }

        bytes = decoded;
        return true;
    }
}
