using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// A person is an email address. Their account id is derived from it (so a sign-in finds the account with a point read,
/// and ids in URLs and audit entries do not show the address); their rows share one partition of the accounts table:
/// the profile, one row per org membership, one per session and one per passkey. The account goes with its last membership.
/// </summary>
public static class AccountIds
{
    public const string Prefix = "acc_";

    public static string For(string normalizedEmail)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("account\n" + normalizedEmail));
        return Prefix + Convert.ToHexStringLower(digest.AsSpan(0, 12));
    }
}

/// <summary>The person's profile: RowKey = <c>profile</c>. The TOTP secret is a Fernet token (<see cref="TotpSecretCipher"/>).</summary>
public sealed class AccountEntity() : TableRow(RowKeyValue)
{
    public const string RowKeyValue = "profile";

    public string Email { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The confirmed TOTP secret, sealed; null when TOTP is off.</summary>
    public string? TotpSecret { get; set; }

    /// <summary>The time step of the last accepted code: it and older ones are refused (each code works once).</summary>
    public long? TotpLastStep { get; set; }

    public DateTimeOffset? TotpEnabledAt { get; set; }

    /// <summary>A secret being enrolled, sealed, until a code from it confirms it.</summary>
    public string? TotpPendingSecret { get; set; }

    /// <summary>Unused recovery codes' hashes, space-separated; each is removed when used.</summary>
    public string? RecoveryCodeHashes { get; set; }


    public bool TotpEnabled => TotpSecret is not null;
}

/// <summary>One org the person belongs to: RowKey = <c>org_{orgId}</c>, written and removed with the member row.</summary>
public sealed class AccountMembershipEntity : TableRow
{
    public const string Prefix = "org_";

    public string OrgId { get; set; } = string.Empty;
    public string MemberId { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;

    public static string Key(OrgId org) => Prefix + org.Value;
}

/// <summary>The accounts table: profiles, the membership index, session index rows and passkeys, partitioned by account.</summary>
public sealed class AccountRepository(HiroiTables tables, SignInSessionStore sessions)
{
    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.Accounts, cancellationToken);

    public async Task<AccountEntity?> FindAsync(string accountId, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<AccountEntity>(accountId, AccountEntity.RowKeyValue, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Saves a profile read earlier; false when it changed meanwhile (the caller reads again or refuses).</summary>
    public async Task<bool> UpdateAsync(AccountEntity account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await table.UpdateEntityAsync(account, account.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            account.ETag = response.Headers.ETag ?? account.ETag;
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Records a membership (and the profile, the first time): called when a member is added or re-roled.</summary>
    public async Task AddMembershipAsync(string normalizedEmail, OrgId org, string memberId, Role role, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var accountId = AccountIds.For(normalizedEmail);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(new AccountEntity { PartitionKey = accountId, Email = normalizedEmail, CreatedAt = now }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // The person already has an account (another org, or a retry).
        }

        await table.UpsertEntityAsync(new AccountMembershipEntity
        {
            PartitionKey = accountId, RowKey = AccountMembershipEntity.Key(org), OrgId = org.Value, MemberId = memberId, Role = role.ToWire(),
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes a membership; the person's whole account goes with the last one: their sessions (those with no org
    /// too), passkeys and their claims, Entra ID links and profile.
    /// </summary>
    public async Task RemoveMembershipAsync(string normalizedEmail, OrgId org, CancellationToken cancellationToken)
    {
        var accountId = AccountIds.For(normalizedEmail);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.DeleteEntityAsync(accountId, AccountMembershipEntity.Key(org), ETag.All, cancellationToken).ConfigureAwait(false);
        if (await MembershipsAsync(accountId, cancellationToken).AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await sessions.RevokeAllAsync(accountId, org: null, cancellationToken).ConfigureAwait(false);
        await foreach (var row in table.QueryAsync<TableEntity>(r => r.PartitionKey == accountId, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            if (OutsideTwin(row.RowKey) is var (twinPartition, twinRow))
            {
                await table.DeleteEntityAsync(twinPartition, twinRow, ETag.All, cancellationToken).ConfigureAwait(false);
            }

            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The row outside the account's partition that a row inside it stands for, deleted with it: an Entra link, a passkey's claim.</summary>
    private static (string PartitionKey, string RowKey)? OutsideTwin(string rowKey) =>
        rowKey.StartsWith(EntraLinkEntity.Prefix, StringComparison.Ordinal) ? (rowKey, EntraLinkEntity.RowKeyValue)
        : rowKey.StartsWith(PasskeyEntity.Prefix, StringComparison.Ordinal) ? (PasskeyClaimEntity.KeyFor(rowKey), PasskeyClaimEntity.RowKeyValue)
        : null;

    public async IAsyncEnumerable<AccountMembershipEntity> MembershipsAsync(string accountId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and RowKey gt {AccountMembershipEntity.Prefix} and RowKey lt {"org`"}");
        await foreach (var row in table.QueryAsync<AccountMembershipEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }
    }

    public async Task<AccountMembershipEntity?> MembershipAsync(string accountId, OrgId org, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<AccountMembershipEntity>(accountId, AccountMembershipEntity.Key(org), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }
}
