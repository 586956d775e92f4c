using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.TenantSecrets;

/// <summary>
/// An org's secret (a credential its agents' tools send): PartitionKey = org id, RowKey = its name. The value is
/// envelope-encrypted: a fresh data key per write encrypts it, the current tenant-secret KEK wraps that key, and both
/// are bound to the org and the name, so a row copied anywhere else does not decrypt.
/// </summary>
public sealed class TenantSecretEntity : TableRow
{
    public byte[] Ciphertext { get; set; } = [];

    /// <summary>The wrapped data key (<see cref="WrappedDataKey.ToMetadataValue"/>), naming the KEK that wraps it.</summary>
    public string DataKey { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class TenantSecretRepository(HiroiTables tables) : OrgScopedRepository<TenantSecretEntity>(tables, TableNames.TenantSecrets);

/// <summary>A secret as anyone may see it: its name and times, never its value.</summary>
public sealed record TenantSecretInfo(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public enum SecretWrite
{
    Created,
    Replaced,
    TooMany,
}

/// <summary>
/// An org's secrets: written (never read back) by admins, listed by name, read only by the tool runtime at the moment
/// a call is made. Every change and every use is audited by name; values appear in no log, audit entry or answer.
/// </summary>
public sealed class TenantSecretService(TenantSecretRepository secrets, TenantSecretKeyRing keys, AuditTrail audit, TimeProvider time) : IToolSecrets
{
    public const int MaxValueBytes = 8192;
    public const int MaxSecretsPerOrg = 100;

    /// <summary>A secret's name: the identifier <c>{{secrets.NAME}}</c> uses.</summary>
    public static bool IsName(string? name) => ToolTemplate.IsName(name);

    /// <summary>1 to <see cref="MaxValueBytes"/> bytes of UTF-8, no control characters: a value may go in a header, where a line break would split it.</summary>
    public static bool IsValue(string? value) => value is { Length: > 0 } && Encoding.UTF8.GetByteCount(value) <= MaxValueBytes && !value.Any(char.IsControl);

    public async Task<(SecretWrite Outcome, TenantSecretInfo? Info)> SetAsync(Caller caller, string name, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!IsName(name) || !IsValue(value))
        {
            throw new ArgumentException("Not a secret name or value.", nameof(name));
        }

        var now = time.GetUtcNow();
        var existing = await secrets.FindAsync(caller.OrgId, name, cancellationToken).ConfigureAwait(false);
        var row = existing ?? new TenantSecretEntity { RowKey = name, CreatedAt = now };
        (row.Ciphertext, row.DataKey) = await EncryptAsync(caller.OrgId, name, value, cancellationToken).ConfigureAwait(false);
        row.UpdatedAt = now;
        if (existing is null)
        {
            // A new name takes one of the org's slots, counted and written in one step.
            switch (await secrets.AddWithinLimitAsync(caller.OrgId, row, MaxSecretsPerOrg, r => IsName(r.RowKey), cancellationToken).ConfigureAwait(false))
            {
                case CappedAdd.Full:
                    return (SecretWrite.TooMany, null);
                case CappedAdd.Exists:
                    existing = row; // created meanwhile by a racing request: this one replaces it
                    await secrets.UpsertBatchAsync(caller.OrgId, [row], TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        else
        {
            await secrets.UpsertBatchAsync(caller.OrgId, [row], TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }

        await audit.RecordAsync(caller, existing is null ? AuditActions.SecretCreated : AuditActions.SecretUpdated, "secret:" + name, null, cancellationToken)
            .ConfigureAwait(false);
        return (existing is null ? SecretWrite.Created : SecretWrite.Replaced, Info(row));
    }

    public async Task<IReadOnlyList<TenantSecretInfo>> ListAsync(OrgId org, CancellationToken cancellationToken) =>
        await secrets.ListAsync(org, cancellationToken).Where(r => IsName(r.RowKey)).Select(Info).OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    public async Task<bool> DeleteAsync(Caller caller, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!IsName(name) || !await secrets.DeleteAsync(caller.OrgId, name, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await audit.RecordAsync(caller, AuditActions.SecretDeleted, "secret:" + name, null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The value, for a tool call being made now (audited as a use); null when the org has no such secret.</summary>
    public async Task<string?> RevealForUseAsync(Caller caller, string name, string usedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!IsName(name) || await secrets.FindAsync(caller.OrgId, name, cancellationToken).ConfigureAwait(false) is not { } row)
        {
            return null;
        }

        var value = await DecryptAsync(caller.OrgId, row, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.SecretUsed, "secret:" + name, usedBy, cancellationToken).ConfigureAwait(false);
        return value;
    }

    Task<string?> IToolSecrets.RevealAsync(Caller caller, string name, string usedBy, CancellationToken cancellationToken) =>
        RevealForUseAsync(caller, name, usedBy, cancellationToken);

    private static string Context(OrgId org, string name) => $"tenant-secret/{org.Value}/{name}";

    private Task<(byte[] Ciphertext, string DataKey)> EncryptAsync(OrgId org, string name, string value, CancellationToken cancellationToken) =>
        keys.SealAsync(Encoding.UTF8.GetBytes(value), Context(org, name), cancellationToken);

    // The context names the org and the row's own key: a row moved to another org or name does not decrypt.
    private async Task<string> DecryptAsync(OrgId org, TenantSecretEntity row, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString(await keys.OpenAsync(row.Ciphertext, row.DataKey, Context(org, row.RowKey), cancellationToken).ConfigureAwait(false));

    private static TenantSecretInfo Info(TenantSecretEntity row) => new(row.RowKey, row.CreatedAt, row.UpdatedAt);
}
