using System.Text.RegularExpressions;

namespace Hiroi.Shared.Logging;

/// <summary>
/// The redaction step every log line passes through: emails and credentials disappear, phone numbers are masked, and any
/// value logged under a secret-sounding name is dropped whole. It is a safety net under the rule that code logs ids, not
/// personal data.
/// </summary>
public static partial class PersonalDataRedactor
{
    private static readonly string[] SecretNameParts =
        ["password", "secret", "token", "authorization", "apikey", "api_key", "connectionstring", "credential", "cookie", "otp"];

    /// <summary>True when a property name says its value is a credential (<c>ApiKey</c>, <c>SessionToken</c>...).</summary>
    public static bool IsSecretName(string name) =>
        SecretNameParts.Any(part => name.Contains(part, StringComparison.OrdinalIgnoreCase))
        && !name.EndsWith("Id", StringComparison.Ordinal) && !name.EndsWith("Name", StringComparison.Ordinal);

    public static string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = ApiKeyPattern().Replace(text, "hiroi_sk_[redacted]");
        text = JwtPattern().Replace(text, "[jwt]");
        text = BearerPattern().Replace(text, "Bearer [redacted]");
        text = SecretAssignmentPattern().Replace(text, m => m.Groups["name"].Value + "=[redacted]");
        text = EmailPattern().Replace(text, "[email]");
        // Card numbers before phone numbers: a card's digit groups could otherwise read as a masked phone number.
        text = Security.CardNumbers.Mask(text);
        text = PhonePattern().Replace(text, m => PhoneNumberMask.Mask(m.Value));
        return text;
    }

    [GeneratedRegex(@"hiroi_sk_[0-9a-f_]+")]
    private static partial Regex ApiKeyPattern();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")]
    private static partial Regex JwtPattern();

    [GeneratedRegex(@"(?i)\bbearer\s+[^\s,;]+")]
    private static partial Regex BearerPattern();

    [GeneratedRegex(@"(?i)(?<name>\b(?:AccountKey|SharedAccessKey|Password|Pwd|sig|code|secret|\w*token|client_secret))=[^;&\s""]+")]
    private static partial Regex SecretAssignmentPattern();

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")]
    private static partial Regex EmailPattern();

    // E.164 (+ and 8-15 digits) and North American formats such as (555) 123-4567 or 555-123-4567.
    [GeneratedRegex(@"\+[1-9]\d{7,14}\b|(?<!\d)\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)")]
    private static partial Regex PhonePattern();
}
