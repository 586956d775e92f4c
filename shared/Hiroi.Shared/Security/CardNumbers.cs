using System.Text;

namespace Hiroi.Shared.Security;

/// <summary>
/// PCI: an agent never collects card numbers. Any run of 13 to 19 digits that passes the Luhn check, written with or
/// without separators (spaces, dashes, dots, commas) or spoken as digit words ("four one one one ..."), as speech
/// recognition and keypads give them, is replaced by <see cref="Placeholder"/> before the model sees the text and before
/// anything is stored, sent or logged. A longer run holding such a number is masked whole: masking too much is safe,
/// too little is not. Never throws.
/// </summary>
public static class CardNumbers
{
    public const string Placeholder = "[card number removed]";
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    /// <summary>Longest stretch of separators allowed between two digits of one number ("4111 - 1111").</summary>
    private const int MaxSeparatorRun = 3;

    private static readonly string[] DigitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>True when <paramref name="text"/> holds a card number.</summary>
    public static bool Contains(string? text) => text is not null && !ReferenceEquals(Mask(text), text);

    /// <summary><paramref name="text"/> with every card number replaced; the same instance when there is none.</summary>
    public static string Mask(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        StringBuilder? masked = null;
        var copiedUpTo = 0;
        var digits = new List<int>(MaxDigits * 2);
        var at = 0;
        while (at < text.Length)
        {
            if (ReadDigit(text, at, out _, out var firstEnd) is false)
            {
                at++;
                continue;
            }

            // A run: digits joined by short separators. It ends where a non-digit, non-separator stretch begins.
            var runStart = at;
            var runEnd = firstEnd;
            digits.Clear();
            var cursor = at;
            while (ReadDigit(text, cursor, out var digit, out var end))
            {
                digits.Add(digit);
                runEnd = end;
                var next = end;
                var separators = 0;
                while (next < text.Length && IsSeparator(text[next]) && separators < MaxSeparatorRun + 1)
                {
                    next++;
                    separators++;
                }

                if (separators > MaxSeparatorRun || !ReadDigit(text, next, out _, out _))
                {
                    break;
                }

                cursor = next;
            }

            if (HasCardNumber(digits))
            {
                masked ??= new StringBuilder(text.Length);
                masked.Append(text, copiedUpTo, runStart - copiedUpTo).Append(Placeholder);
                copiedUpTo = runEnd;
            }

            at = runEnd;
        }

        return masked is null ? text : masked.Append(text, copiedUpTo, text.Length - copiedUpTo).ToString();
    }

    /// <summary>
    /// A run of 13–19 digits is a card number when it passes the Luhn check as a whole (so an order number one digit
    /// off is left alone); a longer run (a card with its expiry or code read straight after) when any 13–19 digit window
    /// of it does.
    /// </summary>
    private static bool HasCardNumber(List<int> digits)
    {
        if (digits.Count < MinDigits)
        {
            return false;
        }

        if (digits.Count <= MaxDigits)
        {
            return Luhn(digits, 0, digits.Count);
        }

        for (var length = MinDigits; length <= MaxDigits; length++)
        {
            for (var start = 0; start + length <= digits.Count; start++)
            {
                if (Luhn(digits, start, length))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool Luhn(List<int> digits, int start, int length)
    {
        var sum = 0;
        for (var i = 0; i < length; i++)
        {
            var d = digits[start + length - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    /// <summary>A digit character, or a digit word (or "oh" for zero) standing alone, at <paramref name="at"/>.</summary>
    private static bool ReadDigit(string text, int at, out int digit, out int end)
    {
        digit = 0;
        end = at;
        if (at >= text.Length)
        {
            return false;
        }

        if (text[at] is >= '0' and <= '9')
        {
            digit = text[at] - '0';
            end = at + 1;
            return true;
        }

        if (at > 0 && char.IsLetter(text[at - 1]))
        {
            return false;
        }

        for (var value = 0; value < DigitWords.Length; value++)
        {
            if (WordAt(text, at, DigitWords[value]))
            {
                (digit, end) = (value, at + DigitWords[value].Length);
                return true;
            }
        }

        if (WordAt(text, at, "oh"))
        {
            (digit, end) = (0, at + 2);
            return true;
        }

        return false;
    }

    private static bool WordAt(string text, int at, string word) =>
        at + word.Length <= text.Length
        && text.AsSpan(at, word.Length).Equals(word, StringComparison.OrdinalIgnoreCase)
        && (at + word.Length == text.Length || !char.IsLetter(text[at + word.Length]));

    private static bool IsSeparator(char c) => c is ' ' or '-' or '.' or ',' or '\t' or '\u00a0';
}
