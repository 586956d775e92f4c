using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Audits what happens to a person's account (2FA changes, failures, session revocations) in the trail of every org
/// they belong to, as that org's member: each org's admins see what touches their members. Entries name the account
/// and member ids, never the email or the client's IP.
/// </summary>
public sealed class AccountAudit(AccountRepository accounts, AuditTrail audit, AccountAuditInbox later)
{
    /// <summary>
    /// Queues the entry to be written off the request path: for what an address alone can cause (a wrong emailed
    /// code), whose answer must take the same time whether or not the address has an account.
    /// </summary>
    public void RecordLater(string accountId, string action, string? detail) => later.Enqueue(new AccountAuditEntry(accountId, action, detail));

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

public sealed record AccountAuditEntry(string AccountId, string Action, string? Detail);

/// <summary>Account audit entries waiting to be written (see <see cref="AccountAudit.RecordLater"/>).</summary>
public sealed class AccountAuditInbox : OffRequestInbox<AccountAuditEntry>;

/// <summary>Writes queued account audit entries; each host runs it beside the sign-in mail sender.</summary>
public sealed class AccountAuditWriter(AccountAuditInbox queue, AccountAudit audit, ILogger<AccountAuditWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var entry in queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await audit.RecordAsync(entry.AccountId, entry.Action, entry.Detail, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Account audit entry ({Action}) not written: {Error}", entry.Action, e.GetType().Name);
            }
        }
    }
}
