using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.SignIn;

/// <summary>An org's rule that its members show a second factor; turning it on ends the org's sessions that showed none.</summary>
public sealed class OrgTwoFactorPolicy(OrganizationRepository orgs, SignInSessionStore sessions, AuditTrail audit)
{
    public async Task<OrganizationEntity?> SetAsync(Caller caller, bool required, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var org = await orgs.GetAsync(caller.OrgId, cancellationToken).ConfigureAwait(false);
        if (org is null)
        {
            return null;
        }

        if (org.RequireTwoFactor != required)
        {
            org.RequireTwoFactor = required;
            if (!await orgs.UpdateAsync(caller.OrgId, org, cancellationToken).ConfigureAwait(false))
            {
                throw new Storage.ConflictException("The org changed meanwhile; retry.");
            }

            await audit.RecordAsync(caller, AuditActions.OrgTwoFactorChanged, "org:" + caller.OrgId.Value, required ? "required" : "optional", cancellationToken)
                .ConfigureAwait(false);
        }

        if (required)
        {
            await sessions.RevokeOrgAsync(caller.OrgId, cancellationToken, onlyWithoutSecondFactor: true).ConfigureAwait(false);
        }

        return org;
    }
}
