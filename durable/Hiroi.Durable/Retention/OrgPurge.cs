using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Retention;

/// <summary>
/// Deletes everything a deleted org had, as idempotent steps: each step removes one batch (up to 500 blobs or rows, 100
/// per transaction) from the first place in <see cref="DataRegistry"/> order that still holds some, so a purge stopped
/// by a crash simply goes on where data is left. When nothing is left, the audit trail is anonymized (it outlives the
/// org for the anonymized-audit period; the retention sweep then removes it and finally the org's tombstone row).
/// </summary>
public sealed class OrgPurge(HiroiTables tables, HiroiBlobs blobs, PhoneNumberRepository numbers, NumberRegistry registry, AuditTrail audit, TimeProvider time)
{
    public const int BatchSize = 500;

    /// <summary>
    /// The kinds the purge deletes, in registry order, except that global index rows (found only by scanning for the
    /// org's id) come last: every step starts from the top, so an index scan early in the list would run again before
    /// every batch of the org's own partitions.
    /// </summary>
    private static readonly StoredKind[] PurgeOrder =
        [.. DataRegistry.All.Where(k => !k.KeptByPurge && k.Partitioning != OrgPartitioning.Platform).OrderBy(k => k.Partitioning == OrgPartitioning.IndexNamingOrg)];

    /// <summary>Orgs whose deletion was requested and whose purge has not finished.</summary>
    public async Task<IReadOnlyList<OrgId>> PendingAsync(CancellationToken cancellationToken)
    {
        var orgs = await tables.GetAsync(TableNames.Orgs, cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {OrganizationEntity.RowKeyValue} and PurgePending eq true");
        var pending = new List<OrgId>();
        await foreach (var row in orgs.QueryAsync<OrganizationEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (OrgId.TryParse(row.PartitionKey, out var org))
            {
                pending.Add(org);
            }
        }

        return pending;
    }

    public async Task<StepOutcome> StepAsync(OrgId org, CancellationToken cancellationToken)
    {
        var orgs = await tables.GetAsync(TableNames.Orgs, cancellationToken).ConfigureAwait(false);
        var found = await orgs.GetEntityIfExistsAsync<OrganizationEntity>(org.Value, OrganizationEntity.RowKeyValue, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!found.HasValue || found.Value is not { PurgePending: true } row)
        {
            return StepOutcome.Stop("not pending");
        }

        var now = time.GetUtcNow();
        if (row.PurgeAfter is { } after && after > now)
        {
            return StepOutcome.DeferUntil(after);
        }

        if (await ReleaseNumbersAsync(org, cancellationToken).ConfigureAwait(false))
        {
            return StepOutcome.Continue();
        }

        foreach (var kind in PurgeOrder)
        {
            // Blobs first (every one under the org's folder, orphans too), then the rows that name them.
            if (kind.BlobContainer is { } container && await DeleteBlobsAsync(container, org, cancellationToken).ConfigureAwait(false))
            {
                return StepOutcome.Continue();
            }

            if (await DeleteBatchAsync(kind.Table, OrgRows(kind, org), cancellationToken).ConfigureAwait(false))
            {
                return StepOutcome.Continue();
            }
        }

        // Recorded before anonymizing, so this entry too expires with the rest.
        await audit.RecordAsync(Caller.System(org, "purge"), AuditActions.OrgPurged, "org:" + org.Value, null, cancellationToken).ConfigureAwait(false);
        await audit.AnonymizeAsync(org, memberId: null, cancellationToken).ConfigureAwait(false);
        var tombstone = new OrganizationEntity { PartitionKey = org.Value, CreatedAt = row.CreatedAt, DeletionRequestedAt = row.DeletionRequestedAt, DeletedAt = now };
        try
        {
            await orgs.UpdateEntityAsync(tombstone, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return StepOutcome.Continue(); // the row changed meanwhile: the next step looks again
        }

        return StepOutcome.Stop("purged");
    }

    /// <summary>Numbers registered since the request (or left by a crash) are released, so events stop reaching the org.</summary>
    private async Task<bool> ReleaseNumbersAsync(OrgId org, CancellationToken cancellationToken)
    {
        var page = await numbers.ListAsync(org, cancellationToken).Take(BatchSize).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var number in page)
        {
            await registry.ReleaseAsync(Caller.System(org, "purge"), number.RowKey, cancellationToken).ConfigureAwait(false);
        }

        return page.Count > 0;
    }

    private async Task<bool> DeleteBlobsAsync(string containerName, OrgId org, CancellationToken cancellationToken)
    {
        var container = await blobs.GetAsync(containerName, cancellationToken).ConfigureAwait(false);
        return await container.DeleteUnderAsync(org.Value + "/", BatchSize, cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>The filter of a kind's rows of <paramref name="org"/>, by how the kind names its org.</summary>
    private static string OrgRows(StoredKind kind, OrgId org) => kind.Partitioning switch
    {
        OrgPartitioning.Org when kind.RowKeyPrefix is { } prefix =>
            TableClient.CreateQueryFilter($"PartitionKey eq {org.Value} and RowKey ge {prefix} and RowKey lt {prefix + "~"}"),
        OrgPartitioning.Org => TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}"),
        // Partitions {org}_{id}, found by range (the backtick sorts right after the underscore).
        OrgPartitioning.OrgPrefixed => TableClient.CreateQueryFilter($"PartitionKey gt {org.Value + "_"} and PartitionKey lt {org.Value + "`"}"),
        // Index rows keyed by something else: found by a scan, as only a purge needs them.
        OrgPartitioning.IndexNamingOrg => TableClient.CreateQueryFilter($"OrgId eq {org.Value}"),
        _ => throw new InvalidOperationException($"{kind.Name} holds no org's rows."),
    };

    /// <summary>Deletes up to <see cref="BatchSize"/> rows matching the filter, 100 per transaction per partition; false when none matched.</summary>
    private async Task<bool> DeleteBatchAsync(string tableName, string filter, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(tableName, cancellationToken).ConfigureAwait(false);
        var rows = await table.QueryAsync<TableEntity>(filter, maxPerPage: BatchSize, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken)
            .Take(BatchSize).ToListAsync(cancellationToken).ConfigureAwait(false);
        await table.DeleteEveryAsync(rows, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0;
    }
}
