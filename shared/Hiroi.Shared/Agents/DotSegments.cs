namespace Hiroi.Shared.Agents;

/// <summary>
/// Whether text placed in a URL path could act as a dot segment (<c>.</c> or <c>..</c>, RFC 3986 §5.2.4) for Uri or for
/// the server behind it: percent-decoded as often as it decodes, with the characters Unicode compatibility-folds to a
/// dot or a slash folded (a server may normalize; the platform runs with invariant globalization, so without ICU's
/// NFKC), split at slashes and backslashes (which some servers decode or treat alike), a segment's <c>;parameters</c> set
/// aside (Tomcat reads <c>..;</c> as <c>..</c>).
/// </summary>
public static class DotSegments
{
    private const int MaxDecodings = 4;

    public static bool Hides(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var current = text;
        for (var round = 0; round <= MaxDecodings; round++)
        {
            var folded = Fold(current);
            if (folded.Split('/', '\\').Any(segment => segment.Split(';')[0] is "." or ".."))
            {
                return true;
            }

            var decoded = Uri.UnescapeDataString(folded);
            if (decoded == folded)
            {
                return false;
            }

            current = decoded;
        }

        return true; // still decoding after that many rounds: no honest id looks like that
    }

    private static string Fold(string text) => text
        .Replace('\uFF0E', '.').Replace('\uFE52', '.').Replace('\u2024', '.').Replace("\u2025", "..", StringComparison.Ordinal)
        .Replace('\uFF0F', '/').Replace('\uFF3C', '\\').Replace('\uFE68', '\\');
}
