using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.ApiKeys;

/// <summary>An API key's record: PartitionKey = org id, RowKey = key id. The secret itself is never stored.</summary>
public sealed class ApiKeyEntity : TableRow
{
    public string Name { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public byte[] Salt { get; set; } = [];
    public byte[] Hash { get; set; } = [];
    public int Iterations { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = string.Empty;
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }

    [IgnoreDataMember]
    public StoredKeyHash StoredHash => new(Salt, Hash, Iterations);

    [IgnoreDataMember]
    public Role ParsedRole => Roles.TryParse(Role, out var role) ? role : Tenancy.Role.Member;
}

public sealed class ApiKeyRepository(HiroiTables tables) : OrgScopedRepository<ApiKeyEntity>(tables, TableNames.ApiKeys)
{
    /// <summary>Records use without reading first; a key deleted meanwhile is simply skipped.</summary>
    public async Task TouchAsync(OrgId org, string keyId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var patch = new TableEntity(org.Value, keyId) { [nameof(ApiKeyEntity.LastUsedAt)] = at };
        try
        {
            await table.UpdateEntityAsync(patch, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Nothing to record.
        }
    }
}
