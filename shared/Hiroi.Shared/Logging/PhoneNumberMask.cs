namespace Hiroi.Shared.Logging;

/// <summary>Masks a phone number for display in logs and audit text: <c>+15551234567</c> becomes <c>+1555****567</c>.</summary>
public static class PhoneNumberMask
{
    public static string Mask(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return string.Empty;
        }

        var digits = new string(number.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length < 8)
        {
            return "****";
        }

        return "+" + digits[..4] + "****" + digits[^3..];
    }
}
