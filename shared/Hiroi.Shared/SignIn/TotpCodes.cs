using OtpNet;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// RFC 6238 codes (Otp.NET): 30-second steps, 6 digits, SHA-1 (what authenticator apps use), one step either side for
/// clock drift. A code is accepted once: the caller stores the step it matched and passes it back as
/// <c>lastUsedStep</c>, so the same code (or an older one) replayed within its window is refused.
/// </summary>
public static class TotpCodes
{
    public const int Digits = 6;
    public const int StepSeconds = 30;

    /// <summary>The time step the code matched, or null when it is wrong, outside the window, or not newer than <paramref name="lastUsedStep"/>.</summary>
    public static long? Verify(byte[] secret, string? code, DateTimeOffset now, long? lastUsedStep)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (code is not { Length: Digits } || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var totp = new Totp(secret, StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, new VerificationWindow(previous: 1, future: 1)) && (lastUsedStep is null || step > lastUsedStep)
            ? step
            : null;
    }

    /// <summary>The <c>otpauth://</c> URI an authenticator app enrols from (as text or a QR code).</summary>
    public static string EnrolmentUri(byte[] secret, string issuer, string account) =>
        new OtpUri(OtpType.Totp, secret, account, issuer, OtpHashMode.Sha1, Digits, StepSeconds).ToString();
}
