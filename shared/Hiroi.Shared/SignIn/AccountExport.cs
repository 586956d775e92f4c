using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;

namespace Hiroi.Shared.SignIn;

public sealed record ExportedTotp(bool Enabled, DateTimeOffset? EnabledAt, int RecoveryCodesLeft);

public sealed record ExportedMembership(string OrgId, string MemberId, string Role);

public sealed record ExportedSession(
    string Id, string Method, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, DateTimeOffset ExpiresAt, bool SecondFactorShown, string? OrgId, string? UserAgent);

public sealed record ExportedPasskey(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, long SignCount, bool BackupEligible, bool BackedUp);

public sealed record ExportedEntraIdentity(string TenantId, string ObjectId, DateTimeOffset? LinkedAt);

/// <summary>What the platform holds about a person's account, for the person (a subject access request of their own).</summary>
public sealed record AccountData(
    string Email, DateTimeOffset CreatedAt, ExportedTotp Totp, IReadOnlyList<ExportedMembership> Memberships, IReadOnlyList<ExportedSession> Sessions,
    IReadOnlyList<ExportedPasskey> Passkeys, IReadOnlyList<ExportedEntraIdentity> EntraIdentities, DateTimeOffset ExportedAt);

/// <summary>
/// A person's own account data (profile, 2FA state, memberships, sessions, passkeys, linked Entra identities): the
/// platform's part of what it holds about them, which no single org's export covers. Secrets stay out: the TOTP
/// secret, recovery code hashes, session ids and public keys are key material, not information about the person.
/// </summary>
public sealed class AccountExport(HiroiTables tables, AccountRepository accounts, SignInSessionStore sessions, Passkeys passkeys, AccountAudit audit, TimeProvider time)
{
    /// <summary>The session's person's account data; the export is audited in the session's org.</summary>
    public async Task<AccountData?> ExportAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var accountId = session.Row.AccountId;
        var account = await accounts.FindAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (account is null)
        {
            return null;
        }

        var memberships = await accounts.MembershipsAsync(accountId, cancellationToken)
            .Select(m => new ExportedMembership(m.OrgId, m.MemberId, m.Role)).ToListAsync(cancellationToken).ConfigureAwait(false);
        var live = await sessions.ListAsync(accountId, cancellationToken).ConfigureAwait(false);
        var keys = await passkeys.ListAsync(accountId, cancellationToken).ConfigureAwait(false);
        var table = await tables.GetAsync(TableNames.Accounts, cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and RowKey gt {EntraLinkEntity.Prefix} and RowKey lt {"entra`"}");
        var entra = await table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)
            .Select(row => EntraIdentityOf(row)).ToListAsync(cancellationToken).ConfigureAwait(false);

        await audit.RecordAsync(session, AuditActions.AccountExported, null, cancellationToken).ConfigureAwait(false);
        return new AccountData(
            account.Email, account.CreatedAt,
            new ExportedTotp(account.TotpEnabled, account.TotpEnabledAt, account.RecoveryCodeHashes?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length ?? 0),
            memberships,
            [.. live.Select(s => new ExportedSession(
                SessionIndexEntity.Prefix + s.PartitionKey, s.Method, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.SecondFactorAt is not null, s.OrgId, s.UserAgent))],
            [.. keys.Select(p => new ExportedPasskey(p.RowKey, p.Name, p.CreatedAt, p.LastUsedAt, p.SignCount, p.BackupEligible, p.BackedUp))],
            entra, time.GetUtcNow());
    }

    /// <summary>The tenant and object id back from the link's key (<c>entra_{tid}_{oid}</c>, both GUIDs).</summary>
    private static ExportedEntraIdentity EntraIdentityOf(TableEntity row)
    {
        var ids = row.RowKey[EntraLinkEntity.Prefix.Length..];
        var split = ids.IndexOf('_', StringComparison.Ordinal);
        return new ExportedEntraIdentity(ids[..split], ids[(split + 1)..], row.GetDateTimeOffset("LinkedAt"));
    }
}
