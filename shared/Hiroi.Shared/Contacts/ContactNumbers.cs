using System.Diagnostics.CodeAnalysis;
using PhoneNumbers;

namespace Hiroi.Shared.Contacts;

/// <summary>Validation of numbers people give us (imports, do-not-contact lists) with libphonenumber's metadata.</summary>
public static class ContactNumbers
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>
    /// The E.164 form of <paramref name="text"/> when it is a valid number; numbers without a leading '+' are read in
    /// <paramref name="defaultRegion"/> (ISO 3166 code, e.g. US). <paramref name="error"/> says what is wrong otherwise.
    /// </summary>
    public static bool TryParse(string? text, string defaultRegion, [NotNullWhen(true)] out string? e164, [NotNullWhen(false)] out string? error)
    {
        e164 = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 40)
        {
            error = "phone is missing or too long";
            return false;
        }

        try
        {
            var number = Util.Parse(text, defaultRegion);
            if (!Util.IsValidNumber(number))
            {
                error = "phone is not a valid number";
                return false;
            }

            e164 = Util.Format(number, PhoneNumberFormat.E164);
            error = null;
            return true;
        }
        catch (NumberParseException)
        {
            error = "phone is not a phone number";
            return false;
        }
    }

    public static bool IsKnownRegion(string region) => Util.GetSupportedRegions().Contains(region);
}
