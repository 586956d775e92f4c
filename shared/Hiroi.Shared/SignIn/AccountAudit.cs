using Hiroi.Shared.Audit;
using Hiroi.Shared.HandOffs;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Audits what happens to a person's account (2FA changes, failed codes, passkeys, exports, session revocations) in the
/// trail of the org the session acts in, as that org's member, and in no other: any admin can add any address as a
/// member, and must not see from then on what the person does while acting in another org. An event with no org in
/// play (a failure before an org is chosen, a wrong emailed code, a cloned passkey) is in no org's trail: it is logged
/// under the account id. Entries name the account and member ids, never the email or the client's IP.
/// </summary>
public sealed class AccountAudit(AuditTrail audit, AccountAuditInbox later, ILogger<AccountAudit> logger)
{
    /// <summary>
    /// Queues an event with no session to be recorded off the request path (one durable write before the answer): for
    /// what an address alone can cause (a wrong emailed code), whose answer must take the same time whether or not the
    /// address has an account.
    /// </summary>
    public Task RecordLaterAsync(string accountId, string action, string? detail, CancellationToken cancellationToken) =>
        later.EnqueueAsync(new AccountAuditEntry(accountId, action, detail), cancellationToken);

    /// <summary>Records an event of the session's person in the session's org, or logs it when the session has none yet.</summary>
    public async Task RecordAsync(ActiveSession session, string action, string? detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var row = session.Row;
        if (OrgId.TryParse(row.OrgId, out var org) && Roles.TryParse(row.Role, out var role))
        {
            await audit.RecordAsync(new Caller(org, "member:" + row.MemberId, role), action, "account:" + row.AccountId, detail, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            RecordWithoutOrg(row.AccountId, action, detail);
        }
    }

    /// <summary>An event no org is in play for: logged (account id, action, detail), in no org's trail.</summary>
    public void RecordWithoutOrg(string accountId, string action, string? detail) =>
        logger.LogInformation("Account event {Action} ({Detail}) for {AccountId}, acting in no org", action, detail, accountId);
}

public sealed record AccountAuditEntry(string AccountId, string Action, string? Detail);

/// <summary>
/// Account audit entries waiting to be written (see <see cref="AccountAudit.RecordLaterAsync"/>), kept a week: every
/// wrong guess of a flood is recorded, however long the queue.
/// </summary>
public sealed class AccountAuditInbox(HandOffQueues queues, TimeProvider time) : HandOffInbox<AccountAuditEntry>(queues, time, QueueName, TimeSpan.FromDays(7))
{
    public const string QueueName = "accountaudit";
}

/// <summary>Writes queued account audit entries, each once; each host runs it beside the sign-in mail sender.</summary>
public sealed class AccountAuditWriter(AccountAudit audit) : IHandOffHandler<AccountAuditEntry>
{
    public Task HandleAsync(HandOff<AccountAuditEntry> handOff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handOff);
        audit.RecordWithoutOrg(handOff.Item.AccountId, handOff.Item.Action, handOff.Item.Detail);
        return Task.CompletedTask;
    }
}
