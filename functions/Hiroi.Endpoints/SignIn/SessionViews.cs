using Hiroi.Shared.SignIn;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Endpoints.SignIn;

/// <summary>Describes a session to its person: what sign-in still asks, their orgs by name, the CSRF token.</summary>
public sealed class SessionViews(AccountRepository accounts, OrganizationRepository orgs)
{
    public async Task<SessionResponse> DescribeAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var row = session.Row;
        var memberships = new List<MembershipResponse>();
        await foreach (var membership in accounts.MembershipsAsync(row.AccountId, cancellationToken).ConfigureAwait(false))
        {
            if (OrgId.TryParse(membership.OrgId, out var org) && await orgs.GetAsync(org, cancellationToken).ConfigureAwait(false) is { DeletionRequestedAt: null } orgRow)
            {
                memberships.Add(new MembershipResponse(membership.OrgId, orgRow.Name, membership.Role));
            }
        }

        var next = !row.IsComplete ? "secondFactor" : row.OrgId is null ? "chooseOrg" : "ready";
        var account = await accounts.FindAsync(row.AccountId, cancellationToken).ConfigureAwait(false);
        return new SessionResponse(
            session.PublicId, row.Method, next, account?.TotpEnabled == true, row.SecondFactorAt is not null, row.OrgId, row.Role,
            SessionTokens.CsrfFor(session.Token), row.ExpiresAt, memberships);
    }
}
