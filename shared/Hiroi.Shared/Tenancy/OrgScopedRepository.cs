using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;

namespace Hiroi.Shared.Tenancy;

/// <summary>
/// Base of every repository of tenant-owned rows. Every method takes the caller's <see cref="OrgId"/> and uses it as the
/// PartitionKey: reads are point reads or queries filtered on it, writes overwrite whatever PartitionKey the entity
/// carried. A row of another org is therefore simply not found (answered 404), whatever id the request names.
/// Kinds that share a table (so one transaction can write both) set <paramref name="rowKeyPrefix"/>: ids without it are
/// not theirs, and listings cover only their key range.
/// </summary>
/// <summary>What <see cref="OrgScopedRepository{TEntity}.AddWithinLimitAsync"/> did.</summary>
public enum CappedAdd
{
    Added,

    /// <summary>The org holds its limit: nothing was written.</summary>
    Full,

    /// <summary>A row with the id exists already: nothing was written.</summary>
    Exists,
}

public abstract class OrgScopedRepository<TEntity>(HiroiTables tables, string tableName, string? rowKeyPrefix = null)
    where TEntity : class, ITableEntity, new()
{
    protected HiroiTables Tables => tables;

    protected Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(tableName, cancellationToken);

    private bool IsOurs(string id) => TableKeys.IsAcceptable(id) && (rowKeyPrefix is null || id.StartsWith(rowKeyPrefix, StringComparison.Ordinal));

    public async Task<TEntity?> FindAsync(OrgId org, string id, CancellationToken cancellationToken)
    {
        if (!IsOurs(id))
        {
            return null;
        }

        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var response = await table.GetEntityIfExistsAsync<TEntity>(org.Value, id, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Which of <paramref name="ids"/> the org has rows for: one query per dozen ids instead of a read each.</summary>
    public async Task<IReadOnlySet<string>> ExistingAsync(OrgId org, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var found = new HashSet<string>(StringComparer.Ordinal);
        // 15 comparisons per filter: the partition and a dozen row keys.
        foreach (var chunk in ids.Where(IsOurs).Distinct(StringComparer.Ordinal).Chunk(12))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}") + " and ("
                + string.Join(" or ", chunk.Select(id => TableClient.CreateQueryFilter($"RowKey eq {id}"))) + ")";
            await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                found.Add(row.RowKey);
            }
        }

        return found;
    }

    public IAsyncEnumerable<TEntity> ListAsync(OrgId org, CancellationToken cancellationToken) =>
        QueryAsync(org, filter: null, cancellationToken);

    /// <summary>Queries the org's partition; <paramref name="filter"/> is ANDed in, with its values escaped.</summary>
    protected async IAsyncEnumerable<TEntity> QueryAsync(
        OrgId org, FormattableString? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var partition = rowKeyPrefix is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {org.Value} and RowKey ge {rowKeyPrefix} and RowKey lt {rowKeyPrefix + '~'}");
        var query = filter is null ? partition : $"{partition} and ({TableClient.CreateQueryFilter(filter)})";
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entity in table.QueryAsync<TEntity>(query, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return entity;
        }
    }

    public const int MaxBatch = 100;

    /// <summary>Upserts up to <see cref="MaxBatch"/> rows of the org in one transaction (merging or replacing what is there).</summary>
    public async Task UpsertBatchAsync(OrgId org, IReadOnlyCollection<TEntity> rows, TableUpdateMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows.Count, MaxBatch);
        var action = mode == TableUpdateMode.Merge ? TableTransactionActionType.UpsertMerge : TableTransactionActionType.UpsertReplace;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.SubmitTransactionAsync(rows.Select(row =>
        {
            row.PartitionKey = org.Value;
            return new TableTransactionAction(action, row);
        }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts a new row in the org's partition; throws <see cref="ConflictException"/> if the id is taken.</summary>
    public async Task AddAsync(OrgId org, TEntity entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        entity.PartitionKey = org.Value;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            entity.ETag = response.Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            throw new ConflictException("It already exists.", e);
        }
    }

    /// <summary>
    /// Inserts a new row unless the org already has <paramref name="limit"/> rows that <paramref name="counts"/> (all of
    /// them when null): the count and the insert are one step under the partition's gate row (<see cref="ConditionalWrites.GatedAsync{T}"/>),
    /// so creates racing for the last slots get exactly those slots. Deleting a row needs no step of its own: the next
    /// count sees it gone.
    /// </summary>
    public async Task<CappedAdd> AddWithinLimitAsync(OrgId org, TEntity entity, int limit, Func<TEntity, bool>? counts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        entity.PartitionKey = org.Value;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        return await ConditionalWrites.GatedAsync(table, org.Value, LimitGateRowKey, async () =>
        {
            var count = await ListAsync(org, cancellationToken).CountAsync(row => row.RowKey != LimitGateRowKey && (counts is null || counts(row)), cancellationToken)
                .ConfigureAwait(false);
            return count >= limit
                ? WriteDecision.Nothing(CappedAdd.Full)
                : new WriteDecision<CappedAdd>(CappedAdd.Added, [new TableTransactionAction(TableTransactionActionType.Add, entity)])
                {
                    WhenExists = _ => (true, CappedAdd.Exists),
                };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one row, lets <paramref name="decide"/> say what it comes to and the row to write (the row it got, changed,
    /// or a new one when there was none; null writes nothing), and writes it under the ETag read, reading again after a
    /// conflict (<see cref="ConditionalWrites"/>: writers of one row in this process take turns).
    /// </summary>
    /// <param name="known">The row as the caller read it (with its ETag): the first attempt decides on it instead of reading again.</param>
    public async Task<T> ChangeRowAsync<T>(
        OrgId org, string rowKey, Func<TEntity?, (T Result, TEntity? Write)> decide, CancellationToken cancellationToken, TEntity? known = null)
    {
        ArgumentNullException.ThrowIfNull(decide);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var first = known;
        return await ConditionalWrites.RunAsync(table, org.Value, rowKey, async () =>
        {
            var found = first ?? await FindAsync(org, rowKey, cancellationToken).ConfigureAwait(false);
            first = null; // a retry reads it afresh
            var (result, write) = decide(found);
            if (write is null)
            {
                return WriteDecision.Nothing(result);
            }

            (write.PartitionKey, write.RowKey) = (org.Value, rowKey);
            return WriteDecision.Write(result, found is null
                ? new TableTransactionAction(TableTransactionActionType.Add, write)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, write, found.ETag));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The row key of the partition's gate for <see cref="AddWithinLimitAsync"/>; no id of any kind looks like it.</summary>
    public const string LimitGateRowKey = "~limit";

    /// <summary>
    /// Replaces a row the org owns, conditional on the entity's ETag (any version if it has none). Returns false when the
    /// org has no such row; throws <see cref="ConflictException"/> when the row changed since it was read.
    /// </summary>
    public async Task<bool> UpdateAsync(OrgId org, TEntity entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (!IsOurs(entity.RowKey))
        {
            return false;
        }

        entity.PartitionKey = org.Value;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var etag = entity.ETag == default ? ETag.All : entity.ETag;
            var response = await table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            entity.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            throw new ConflictException("It was changed by someone else; read it again and retry.", e);
        }
    }

    /// <summary>Up to <paramref name="max"/> of the org's rows whose <paramref name="timeProperty"/> is before <paramref name="cutoff"/>.</summary>
    public async Task<IReadOnlyList<TEntity>> OlderThanAsync(OrgId org, string timeProperty, DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(timeProperty);
        if (!timeProperty.All(char.IsAsciiLetter))
        {
            throw new ArgumentException("A property name is letters only.", nameof(timeProperty));
        }

        // The property name is a constant of the caller's (checked above); the cutoff is escaped as a value.
        var olderThan = FormattableStringFactory.Create(timeProperty + " lt {0}", cutoff);
        return await QueryAsync(org, olderThan, cancellationToken).Take(max).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Permanently deletes the org's given rows as they were read (under their ETags), <see cref="MaxBatch"/> per
    /// transaction; a row changed since (a new message moved its conversation on) is left alone.
    /// </summary>
    public async Task DeleteAllAsync(OrgId org, IReadOnlyList<TEntity> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in rows.Chunk(MaxBatch))
        {
            await table.SubmitOrEachAsync(chunk.Select(row =>
            {
                row.PartitionKey = org.Value;
                return new TableTransactionAction(TableTransactionActionType.Delete, row, row.ETag);
            }).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a row the org owns. Returns false when the org has no such row.</summary>
    public async Task<bool> DeleteAsync(OrgId org, string id, CancellationToken cancellationToken)
    {
        if (!IsOurs(id))
        {
            return false;
        }

        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        // The SDK treats a 404 on delete as success, so ask first: a point read in the caller's partition.
        var existing = await table.GetEntityIfExistsAsync<TEntity>(org.Value, id, select: ["PartitionKey"], cancellationToken)
            .ConfigureAwait(false);
        if (!existing.HasValue)
        {
            return false;
        }

        await table.DeleteEntityAsync(org.Value, id, ETag.All, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
