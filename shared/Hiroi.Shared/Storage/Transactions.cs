using Azure;
using Azure.Data.Tables;

namespace Hiroi.Shared.Storage;

public static class Transactions
{
    /// <summary>
    /// Submits the actions (one partition, at most 100) as one transaction. When it fails because some row exists
    /// already or changed since it was read (409, 412, 404), each action is tried on its own instead, and those rows
    /// are left as they are. Written entities get their new ETags. Returns the entities whose action took effect.
    /// </summary>
    public static async Task<IReadOnlySet<ITableEntity>> SubmitOrEachAsync(this TableClient table, IReadOnlyList<TableTransactionAction> actions,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(actions);
        var done = new HashSet<ITableEntity>(ReferenceEqualityComparer.Instance);
        if (actions.Count == 0)
        {
            return done;
        }

        try
        {
            var responses = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < actions.Count; i++)
            {
                Done(actions[i].Entity, responses.Value[i], done);
            }
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412 or 404)
        {
            foreach (var action in actions)
            {
                try
                {
                    Done(action.Entity, await OneAsync(table, action, cancellationToken).ConfigureAwait(false), done);
                }
                catch (RequestFailedException one) when (one.Status is 409 or 412 or 404)
                {
                    // Exists already, or changed since it was read: left as it is.
                }
            }
        }

        return done;
    }

    /// <summary>
    /// Deletes the rows whatever their version, one transaction per partition and 100 rows (a row gone already is fine).
    /// For erasure and purges, which do not yield to newer writes.
    /// </summary>
    public static async Task DeleteEveryAsync(this TableClient table, IEnumerable<ITableEntity> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var partition in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.Chunk(100))
            {
                await table.SubmitOrEachAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)).ToList(), cancellationToken)
                    .ConfigureAwait(false);
            }
        }
    }

    private static Task<Response> OneAsync(TableClient table, TableTransactionAction action, CancellationToken cancellationToken) => action.ActionType switch
    {
        TableTransactionActionType.Add => table.AddEntityAsync(action.Entity, cancellationToken),
        TableTransactionActionType.UpdateReplace => table.UpdateEntityAsync(action.Entity, action.ETag, TableUpdateMode.Replace, cancellationToken),
        TableTransactionActionType.UpdateMerge => table.UpdateEntityAsync(action.Entity, action.ETag, TableUpdateMode.Merge, cancellationToken),
        TableTransactionActionType.Delete => table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, action.ETag, cancellationToken),
        _ => throw new NotSupportedException($"{action.ActionType} is not retried row by row."),
    };

    private static void Done(ITableEntity entity, Response response, HashSet<ITableEntity> done)
    {
        entity.ETag = response.Headers.ETag ?? entity.ETag;
        done.Add(entity);
    }
}
