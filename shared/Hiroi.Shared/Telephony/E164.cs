using System.Diagnostics.CodeAnalysis;

namespace Hiroi.Shared.Telephony;

/// <summary>
/// E.164 normalization for numbers as ACS and people write them: ACS events sometimes omit the '+'
/// (<c>15555555555</c>); spaces, dashes, dots and parentheses are dropped.
/// </summary>
public static class E164
{
    public static bool TryNormalize([NotNullWhen(true)] string? text, [NotNullWhen(true)] out string? e164)
    {
        e164 = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 32)
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var plus = span.StartsWith("+");
        Span<char> digits = stackalloc char[16];
        var count = 0;
        foreach (var c in plus ? span[1..] : span)
        {
            if (char.IsAsciiDigit(c))
            {
                if (count == digits.Length)
                {
                    return false;
                }

                digits[count++] = c;
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                return false;
            }
        }

        if (count is < 8 or > 15 || digits[0] == '0')
        {
            return false;
        }

        e164 = "+" + new string(digits[..count]);
        return true;
    }
}
