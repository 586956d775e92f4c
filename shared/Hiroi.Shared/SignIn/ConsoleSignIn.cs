using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.SignIn;

public enum SignInOutcome
{
    SignedIn,
    Refused,
    Throttled,
}

/// <summary>A first-factor attempt's result: the new session when it worked, the time to wait when throttled.</summary>
public sealed record SignInResult(SignInOutcome Outcome, ActiveSession? Session = null, DateTimeOffset RetryAt = default);

public enum OrgChoice
{
    Chosen,
    NotMember,
    SecondFactorFirst,
    OrgRequiresTwoFactor,
}

/// <summary>
/// Where the client, the browser, the request came from: for throttling and the session list (never stored in the
/// clear). <paramref name="DeviceCookie"/> is the browser's trusted-device cookie as sent, unchecked.
/// </summary>
public sealed record SignInClient(string Ip, string? UserAgent, string? DeviceCookie = null);

/// <summary>
/// The first factor by email (a magic link or a six-digit code), under graduated limits, then the session and the choice
/// of org. A person with TOTP on gets a session that can do nothing but the second step; an org that requires 2FA
/// can only be chosen once a second factor was shown.
/// </summary>
public sealed class ConsoleSignIn(
    SignInMailbox mail, SignInTokenStore tokens, SignInThrottle throttle, SignInSessionStore sessions, AccountRepository accounts,
    SessionOrgGuard guard, AccountAudit accountAudit, AuditTrail audit, TimeProvider time)
{
    public const string ByLink = "link";
    public const string ByCode = "code";

    /// <summary>
    /// Queues a link or code for the address, with who asked (the mail quotas are per asker); throttled per client IP
    /// only, so the answer says nothing about the address.
    /// </summary>
    public async Task<ThrottleDecision> RequestMailAsync(string normalizedEmail, SignInMailKind kind, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var decision = await throttle.ClientMayAskAsync(client, cancellationToken).ConfigureAwait(false);
        if (decision.Allowed)
        {
            var device = await throttle.DeviceOfAsync(client, AccountIds.For(normalizedEmail), cancellationToken).ConfigureAwait(false);
            await mail.EnqueueAsync(new SignInMailRequest(normalizedEmail, kind, client.Ip, device), cancellationToken).ConfigureAwait(false);
        }

        return decision;
    }

    public async Task<SignInResult> CompleteLinkAsync(string? token, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var attempt = await throttle.TryAsync(SignInFactor.None, null, client, cancellationToken).ConfigureAwait(false);
        if (!attempt.Allowed)
        {
            return new SignInResult(SignInOutcome.Throttled, RetryAt: attempt.RetryAt);
        }

        var accountId = await tokens.ConsumeLinkAsync(token, cancellationToken).ConfigureAwait(false);
        if (accountId is null)
        {
            return new SignInResult(SignInOutcome.Refused); // the try stays spent: a failure
        }

        await attempt.NotFailedAsync().ConfigureAwait(false);
        return await StartAsync(accountId, ByLink, client, cancellationToken).ConfigureAwait(false);
    }

    public async Task<SignInResult> CompleteCodeAsync(string normalizedEmail, string? code, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var accountId = AccountIds.For(normalizedEmail);
        var attempt = await throttle.TryAsync(SignInFactor.EmailCode, accountId, client, cancellationToken).ConfigureAwait(false);
        if (!attempt.Allowed)
        {
            return new SignInResult(SignInOutcome.Throttled, RetryAt: attempt.RetryAt);
        }

        if (!await tokens.ConsumeCodeAsync(accountId, attempt.Device, code, cancellationToken).ConfigureAwait(false))
        {
            await accountAudit.RecordLaterAsync(accountId, AuditActions.SignInFailed, ByCode, cancellationToken).ConfigureAwait(false);
            return new SignInResult(SignInOutcome.Refused); // the try stays spent
        }

        await attempt.NotFailedAsync().ConfigureAwait(false);
        return await StartAsync(accountId, ByCode, client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A new session after a first factor (a passkey with user verification counts as both). With exactly one org and
    /// nothing left to show, that org is chosen at once.
    /// </summary>
    public async Task<SignInResult> StartAsync(string accountId, string method, SignInClient client, CancellationToken cancellationToken, bool secondFactorShown = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        var account = await accounts.FindAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (account is null)
        {
            return new SignInResult(SignInOutcome.Refused);
        }

        var session = await sessions.CreateAsync(
            accountId, method, account.TotpEnabled, secondFactorShown ? time.GetUtcNow() : null, client.UserAgent, cancellationToken).ConfigureAwait(false);
        await ChooseOnlyOrgAsync(session, cancellationToken).ConfigureAwait(false);
        return new SignInResult(SignInOutcome.SignedIn, session);
    }

    /// <summary>Once every step is done, a person with exactly one org (and no org chosen yet) gets it without asking.</summary>
    public async Task ChooseOnlyOrgAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.Row.IsComplete || session.Row.OrgId is not null)
        {
            return;
        }

        var memberships = await accounts.MembershipsAsync(session.Row.AccountId, cancellationToken).Take(2).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (memberships is [var only] && OrgId.TryParse(only.OrgId, out var org))
        {
            await ChooseOrgAsync(session, org, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Makes <paramref name="org"/> the session's org, if the person is a member and has shown what it asks for.</summary>
    public async Task<OrgChoice> ChooseOrgAsync(ActiveSession session, OrgId org, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.Row.IsComplete)
        {
            return OrgChoice.SecondFactorFirst;
        }

        var (choice, membership) = await guard.AdmitAsync(session.Row.AccountId, org, session.Row.SecondFactorAt, cancellationToken).ConfigureAwait(false);
        if (choice != OrgChoice.Chosen)
        {
            return choice;
        }

        session.Row.OrgId = org.Value;
        session.Row.MemberId = membership!.MemberId;
        session.Row.Role = membership.Role;
        if (!await sessions.UpdateAsync(session, cancellationToken).ConfigureAwait(false))
        {
            throw new Storage.ConflictException("The session changed meanwhile; retry.");
        }

        if (!await guard.KeepsAsync(session, cancellationToken).ConfigureAwait(false))
        {
            return OrgChoice.NotMember; // the membership changed while the choice was written: the session is gone
        }

        if (!Roles.TryParse(membership.Role, out var role))
        {
            return OrgChoice.NotMember; // the guard admits only roles that parse
        }
        await audit.RecordAsync(new Caller(org, "member:" + membership.MemberId, role), AuditActions.SignedIn, "account:" + session.Row.AccountId,
                session.Row.Method, cancellationToken)
            .ConfigureAwait(false);
        return OrgChoice.Chosen;
    }

    public async Task SignOutAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        await sessions.RevokeAsync(session.Row.AccountId, session.Hash, cancellationToken).ConfigureAwait(false);
        if (session.Row.OrgId is { } orgText && OrgId.TryParse(orgText, out var org) && Roles.TryParse(session.Row.Role, out var role))
        {
            await audit.RecordAsync(new Caller(org, "member:" + session.Row.MemberId, role), AuditActions.SignedOut, "account:" + session.Row.AccountId, null, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Revokes one of the person's own sessions by its public id; false when they have no such session.</summary>
    public async Task<bool> RevokeOwnAsync(ActiveSession current, string publicId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(publicId);
        var mine = await sessions.ListAsync(current.Row.AccountId, cancellationToken).ConfigureAwait(false);
        var target = mine.FirstOrDefault(s => SessionIndexEntity.Prefix + s.PartitionKey == publicId);
        if (target is null)
        {
            return false;
        }

        await sessions.RevokeAsync(current.Row.AccountId, target.PartitionKey, cancellationToken).ConfigureAwait(false);
        await accountAudit.RecordAsync(current, AuditActions.SessionRevoked, "by-owner", cancellationToken).ConfigureAwait(false);
        return true;
    }
}
