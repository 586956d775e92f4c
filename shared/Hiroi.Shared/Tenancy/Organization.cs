using Hiroi.Shared.Storage;

namespace Hiroi.Shared.Tenancy;

/// <summary>An org's own row: PartitionKey = org id, RowKey = <see cref="RowKeyValue"/>.</summary>
public sealed class OrganizationEntity() : TableRow(RowKeyValue)
{
    public const string RowKeyValue = "org";

    public string Name { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set by an owner's deletion request; the purge runs from <see cref="PurgeAfter"/>.</summary>
    public DateTimeOffset? DeletionRequestedAt { get; set; }
    public DateTimeOffset? PurgeAfter { get; set; }

    /// <summary>True from the request until every row and blob of the org is gone (a filterable flag for the purge).</summary>
    public bool PurgePending { get; set; }

    /// <summary>When the purge finished; the row is then a tombstone (no name) until the anonymized audit period ends.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>Members must show a second factor (TOTP or a passkey) before their session may act for the org.</summary>
    public bool RequireTwoFactor { get; set; }
}

public sealed class OrganizationRepository(HiroiTables tables)
    : OrgScopedRepository<OrganizationEntity>(tables, TableNames.Orgs, OrganizationEntity.RowKeyValue)
{
    public Task<OrganizationEntity?> GetAsync(OrgId org, CancellationToken cancellationToken) =>
        FindAsync(org, OrganizationEntity.RowKeyValue, cancellationToken);
}
