using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Audit;

namespace Hiroi.Shared.SignIn;

public enum TwoFactorOutcome
{
    Done,
    Refused,
    Throttled,
    AlreadyOn,
    NotOn,
    NotStarted,

    /// <summary>The person has a factor and this session showed none: adding or removing one takes a session that did.</summary>
    SecondFactorFirst,

    /// <summary>The session was revoked (or its org stopped admitting it) while the step ran: sign in again.</summary>
    SessionEnded,
}

/// <summary>A TOTP step's result; a success rotates the session id (<see cref="Session"/> is the new one).</summary>
public sealed record TwoFactorResult(TwoFactorOutcome Outcome, ActiveSession? Session = null, DateTimeOffset RetryAt = default, IReadOnlyList<string>? RecoveryCodes = null);

/// <summary>What an authenticator app enrols from: the <c>otpauth://</c> URI (also shown as a QR code) and the bare secret.</summary>
public sealed record TotpEnrolment(string Uri, string Secret);

/// <summary>An enrolment's start: the secret to enrol (<see cref="TwoFactorOutcome.Done"/>), or why there is none.</summary>
public sealed record TotpEnrolmentStart(TwoFactorOutcome Outcome, TotpEnrolment? Enrolment = null);

/// <summary>
/// TOTP as a second factor: enrolment (a pending secret, sealed with Fernet, confirmed by a code), the second step at
/// sign-in and step-up (each code accepted once; or one of ten single-use recovery codes), and turning it off with a fresh
/// code. Wrong codes count against the graduated limits per account and per IP. Every success rotates the session id.
/// Enrolling takes a session that showed a second factor when the person has one (<see cref="FactorChangeRule"/>), and
/// does not count as showing the new one: an org's two-factor rule admits the session once a sign-in or step-up shows it.
/// </summary>
public sealed class TwoFactor(
    AccountRepository accounts, TotpSecretCipher cipher, SignInSessionStore sessions, SessionOrgGuard guard, SignInThrottle throttle, AccountAudit audit,
    FactorChangeRule factorChanges, TimeProvider time)
{
    public const string Issuer = "Hiroi";
    public const int RecoveryCodeCount = 10;

    public async Task<TotpEnrolmentStart> BeginEnrolmentAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var account = await accounts.FindAsync(session.Row.AccountId, cancellationToken).ConfigureAwait(false);
        if (account is null || account.TotpEnabled)
        {
            return new TotpEnrolmentStart(TwoFactorOutcome.AlreadyOn);
        }

        if (!await factorChanges.AllowsAsync(session, cancellationToken).ConfigureAwait(false))
        {
            return new TotpEnrolmentStart(TwoFactorOutcome.SecondFactorFirst);
        }

        var secret = RandomNumberGenerator.GetBytes(20);
        account.TotpPendingSecret = await cipher.SealAsync(secret, cancellationToken).ConfigureAwait(false);
        if (!await accounts.UpdateAsync(account, cancellationToken).ConfigureAwait(false))
        {
            throw new Storage.ConflictException("The account changed meanwhile; retry.");
        }

        return new TotpEnrolmentStart(TwoFactorOutcome.Done, new TotpEnrolment(TotpCodes.EnrolmentUri(secret, Issuer, account.Email), OtpNet.Base32Encoding.ToString(secret)));
    }

    public async Task<TwoFactorResult> ConfirmEnrolmentAsync(ActiveSession session, string? code, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(client);
        var accountId = session.Row.AccountId;
        var attempt = await throttle.TryAsync(SignInFactor.Totp, accountId, client, cancellationToken).ConfigureAwait(false);
        if (!attempt.Allowed)
        {
            return new TwoFactorResult(TwoFactorOutcome.Throttled, RetryAt: attempt.RetryAt);
        }

        var account = await accounts.FindAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (account is null || account.TotpEnabled)
        {
            await attempt.NotFailedAsync().ConfigureAwait(false); // no code was looked at
            return new TwoFactorResult(TwoFactorOutcome.AlreadyOn);
        }

        var pending = account.TotpPendingSecret is null ? null : await cipher.OpenAsync(account.TotpPendingSecret, cancellationToken).ConfigureAwait(false);
        if (pending is null)
        {
            await attempt.NotFailedAsync().ConfigureAwait(false);
            return new TwoFactorResult(TwoFactorOutcome.NotStarted);
        }

        if (!await factorChanges.AllowsAsync(session, cancellationToken).ConfigureAwait(false))
        {
            return new TwoFactorResult(TwoFactorOutcome.SecondFactorFirst); // a passkey came meanwhile: the start's check no longer holds
        }

        var step = TotpCodes.Verify(pending, code, time.GetUtcNow(), lastUsedStep: null);
        if (step is null)
        {
            return new TwoFactorResult(TwoFactorOutcome.Refused); // the try stays spent
        }

        await attempt.NotFailedAsync().ConfigureAwait(false);

        var recovery = Enumerable.Range(0, RecoveryCodeCount).Select(_ => NewRecoveryCode()).ToList();
        account.TotpSecret = account.TotpPendingSecret;
        account.TotpPendingSecret = null;
        account.TotpLastStep = step;
        account.TotpEnabledAt = time.GetUtcNow();
        account.RecoveryCodeHashes = string.Join(' ', recovery.Select(RecoveryHash));
        if (!await accounts.UpdateAsync(account, cancellationToken).ConfigureAwait(false))
        {
            return new TwoFactorResult(TwoFactorOutcome.Refused);
        }

        await audit.RecordAsync(session, AuditActions.TwoFactorEnabled, "totp", cancellationToken).ConfigureAwait(false);

        // Enrolling is not showing: whoever holds the session chose the secret. The session keeps what it had shown
        // before (so an org that requires two factors admits it only after a sign-in or step-up with the code).
        var rotated = await RotateAsync(session, session.Row.NeedsSecondFactor, session.Row.SecondFactorAt, client, cancellationToken).ConfigureAwait(false);

        // The person's other sessions showed no second factor: left alive, one could (say) register a passkey and so
        // step around the TOTP just turned on. They sign in again, with the code.
        var ended = await sessions.RevokeAllAsync(accountId, org: null, cancellationToken, except: rotated.Session?.Hash).ConfigureAwait(false);
        if (ended > 0)
        {
            await audit.RecordAsync(session, AuditActions.SessionRevoked, "totp-enabled", cancellationToken).ConfigureAwait(false);
        }

        return rotated with { RecoveryCodes = recovery };
    }

    /// <summary>The second step at sign-in, or a step-up: a current TOTP code or an unused recovery code.</summary>
    public async Task<TwoFactorResult> VerifyAsync(ActiveSession session, string? code, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var outcome = await CheckCodeAsync(session, code, client, cancellationToken).ConfigureAwait(false);
        if (outcome.Outcome != TwoFactorOutcome.Done)
        {
            return outcome;
        }

        return await RotateAsync(session, needsSecondFactor: true, time.GetUtcNow(), client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Turns TOTP off; it takes a fresh code (or a recovery code), not just a session.</summary>
    public async Task<TwoFactorResult> DisableAsync(ActiveSession session, string? code, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var outcome = await CheckCodeAsync(session, code, client, cancellationToken).ConfigureAwait(false);
        if (outcome.Outcome != TwoFactorOutcome.Done)
        {
            return outcome;
        }

        var account = await accounts.FindAsync(session.Row.AccountId, cancellationToken).ConfigureAwait(false);
        if (account is null)
        {
            return new TwoFactorResult(TwoFactorOutcome.NotOn);
        }

        account.TotpSecret = null;
        account.TotpLastStep = null;
        account.TotpEnabledAt = null;
        account.RecoveryCodeHashes = null;
        if (!await accounts.UpdateAsync(account, cancellationToken).ConfigureAwait(false))
        {
            return new TwoFactorResult(TwoFactorOutcome.Refused);
        }

        await audit.RecordAsync(session, AuditActions.TwoFactorDisabled, "totp", cancellationToken).ConfigureAwait(false);
        return await RotateAsync(session, needsSecondFactor: false, time.GetUtcNow(), client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a TOTP or recovery code and consumes it (under the account's ETag, so a code works once even when raced).
    /// The try is spent before the code is looked at, and given back only when it was right or not looked at.
    /// </summary>
    private async Task<TwoFactorResult> CheckCodeAsync(ActiveSession session, string? code, SignInClient client, CancellationToken cancellationToken)
    {
        var accountId = session.Row.AccountId;
        var attempt = await throttle.TryAsync(SignInFactor.Totp, accountId, client, cancellationToken).ConfigureAwait(false);
        if (!attempt.Allowed)
        {
            return new TwoFactorResult(TwoFactorOutcome.Throttled, RetryAt: attempt.RetryAt);
        }

        var account = await accounts.FindAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (account?.TotpSecret is null)
        {
            await attempt.NotFailedAsync().ConfigureAwait(false);
            return new TwoFactorResult(TwoFactorOutcome.NotOn);
        }

        var usedRecovery = false;
        var secret = await cipher.OpenAsync(account.TotpSecret, cancellationToken).ConfigureAwait(false);
        if (secret is not null && TotpCodes.Verify(secret, code, time.GetUtcNow(), account.TotpLastStep) is { } step)
        {
            account.TotpLastStep = step;
        }
        else if (TakeRecoveryCode(account, code))
        {
            usedRecovery = true;
        }
        else
        {
            await audit.RecordAsync(session, AuditActions.SignInFailed, "totp", cancellationToken).ConfigureAwait(false);
            return new TwoFactorResult(TwoFactorOutcome.Refused); // the try stays spent
        }

        if (!await accounts.UpdateAsync(account, cancellationToken).ConfigureAwait(false))
        {
            return new TwoFactorResult(TwoFactorOutcome.Refused); // another request used a code first; this try stays spent
        }

        await attempt.NotFailedAsync().ConfigureAwait(false);

        if (usedRecovery)
        {
            await audit.RecordAsync(session, AuditActions.RecoveryCodeUsed, null, cancellationToken).ConfigureAwait(false);
        }

        return new TwoFactorResult(TwoFactorOutcome.Done);
    }

    /// <summary>The session's factors changed: it gets a new id, marked with what it has shown (or ended, if revoked meanwhile).</summary>
    private async Task<TwoFactorResult> RotateAsync(
        ActiveSession session, bool needsSecondFactor, DateTimeOffset? secondFactorAt, SignInClient client, CancellationToken cancellationToken)
    {
        var rotated = await guard.RotateAsync(session, needsSecondFactor, secondFactorAt, client.UserAgent, cancellationToken).ConfigureAwait(false);
        return rotated is null ? new TwoFactorResult(TwoFactorOutcome.SessionEnded) : new TwoFactorResult(TwoFactorOutcome.Done, rotated);
    }

    private static bool TakeRecoveryCode(AccountEntity account, string? code)
    {
        if (code is null || account.RecoveryCodeHashes is null || code.Length > 40)
        {
            return false;
        }

        var presented = Encoding.ASCII.GetBytes(RecoveryHash(code.Trim().ToLowerInvariant()));
        var hashes = account.RecoveryCodeHashes.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var match = hashes.FindIndex(h => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(h), presented));
        if (match < 0)
        {
            return false;
        }

        hashes.RemoveAt(match);
        account.RecoveryCodeHashes = string.Join(' ', hashes);
        return true;
    }

    /// <summary>Sixteen lowercase base32 characters in groups of four (80 bits): enough that a plain SHA-256 cannot be walked back.</summary>
    private static string NewRecoveryCode()
    {
        var text = OtpNet.Base32Encoding.ToString(RandomNumberGenerator.GetBytes(10)).ToLowerInvariant();
        return string.Join('-', text.Chunk(4).Select(c => new string(c)));
    }

    private static string RecoveryHash(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(code)));
}
