using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Whether an org admits a session: the person is a member with a role, the org is not being deleted, and the session
/// showed a second factor if the org requires one. Checked before a session takes an org and again after the write
/// (an org choice, a rotation): a removal, re-role or 2FA rule that lands in between either sees the written session
/// (membership changes revoke sessions after they change the membership) or is seen here, and the session is revoked.
/// </summary>
public sealed class SessionOrgGuard(AccountRepository accounts, OrganizationRepository orgs, SignInSessionStore sessions)
{
    public async Task<(OrgChoice Choice, AccountMembershipEntity? Membership)> AdmitAsync(
        string accountId, OrgId org, DateTimeOffset? secondFactorAt, CancellationToken cancellationToken)
    {
        var membership = await accounts.MembershipAsync(accountId, org, cancellationToken).ConfigureAwait(false);
        var orgRow = membership is null ? null : await orgs.GetAsync(org, cancellationToken).ConfigureAwait(false);
        if (membership is null || orgRow is null || orgRow.DeletionRequestedAt is not null || !Roles.TryParse(membership.Role, out _))
        {
            return (OrgChoice.NotMember, null);
        }

        return orgRow.RequireTwoFactor && secondFactorAt is null ? (OrgChoice.OrgRequiresTwoFactor, null) : (OrgChoice.Chosen, membership);
    }

    /// <summary>
    /// Whether the session's org (if it has one) still admits it as the member and role it carries; when it does not,
    /// the session is revoked.
    /// </summary>
    public async Task<bool> KeepsAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var row = session.Row;
        if (row.OrgId is null)
        {
            return true;
        }

        if (OrgId.TryParse(row.OrgId, out var org))
        {
            var (choice, membership) = await AdmitAsync(row.AccountId, org, row.SecondFactorAt, cancellationToken).ConfigureAwait(false);
            if (choice == OrgChoice.Chosen && membership!.MemberId == row.MemberId && membership.Role == row.Role)
            {
                return true;
            }
        }

        await sessions.RevokeAsync(row.AccountId, session.Hash, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>Rotates the session's id (see <see cref="SignInSessionStore.RotateAsync"/>) and checks its org again; null when it ended.</summary>
    public async Task<ActiveSession?> RotateAsync(
        ActiveSession current, bool needsSecondFactor, DateTimeOffset? secondFactorAt, string? userAgent, CancellationToken cancellationToken)
    {
        var rotated = await sessions.RotateAsync(current, needsSecondFactor, secondFactorAt, userAgent, cancellationToken).ConfigureAwait(false);
        return rotated is not null && await KeepsAsync(rotated, cancellationToken).ConfigureAwait(false) ? rotated : null;
    }
}
