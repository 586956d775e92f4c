using System.Globalization;
using System.Text;

namespace Hiroi.Shared.Text;

/// <summary>
/// Names and labels people give things (orgs, lists, campaigns, keys, numbers). They are shown in consoles, exports and
/// audit entries, so they must read as what they are: no control characters (NUL included), no bidirectional overrides
/// or isolates that make text display reversed, no unpaired surrogates.
/// </summary>
public static class DisplayText
{
    /// <summary>
    /// <paramref name="raw"/> trimmed, when it is 1 to <paramref name="maxLength"/> characters of clean text; otherwise
    /// false, with <paramref name="text"/> the trimmed input (or empty).
    /// </summary>
    public static bool TryClean(string? raw, int maxLength, out string text)
    {
        text = raw?.Trim() ?? string.Empty;
        return text.Length > 0 && text.Length <= maxLength && IsClean(text);
    }

    public static bool IsClean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                return false; // an unpaired surrogate
            }

            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.Control || IsBidiControl(rune.Value))
            {
                return false;
            }

            rest = rest[used..];
        }

        return true;
    }

    // LRM, RLM, ALM, the embeddings and overrides (U+202A-202E) and the isolates (U+2066-2069).
    private static bool IsBidiControl(int c) => c is 0x200E or 0x200F or 0x061C or (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069);
}
