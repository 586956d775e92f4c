using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Audits what happens to a person's account (2FA changes, failures, session revocations) in the trail of every org
/// they belong to, as that org's member: each org's admins see what touches their members. Entries name the account
/// and member ids, never the email or the client's IP.
/// </summary>
public sealed class AccountAudit(AccountRepository accounts, AuditTrail audit)
{
    public async Task RecordAsync(string accountId, string action, string? detail, CancellationToken cancellationToken)
    {
        await foreach (var membership in accounts.MembershipsAsync(accountId, cancellationToken).ConfigureAwait(false))
        {
            if (OrgId.TryParse(membership.OrgId, out var org) && Roles.TryParse(membership.Role, out var role))
            {
                await audit.RecordAsync(new Caller(org, "member:" + membership.MemberId, role), action, "account:" + accountId, detail, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
    }
}
