using Azure;
using Azure.Data.Tables;

namespace Hiroi.Shared.Storage;

/// <summary>
/// What one attempt of a conditional write decided: its result, and the rows to write for it, all or none, under the
/// ETags they were read with (rows added must be new). No rows: the attempt ends there and writes nothing.
/// </summary>
public sealed record WriteDecision<T>(T Result, IReadOnlyList<TableTransactionAction> Writes)
{
    /// <summary>
    /// When a row added at this index of <see cref="Writes"/> already exists: whether that ends the write, and with what
    /// result (a single-use marker met again), rather than a read again and a retry (someone else created it first).
    /// </summary>
    public Func<int, (bool Ends, T Result)>? WhenExists { get; init; }
}

public static class WriteDecision
{
    /// <summary>An attempt that ends with <paramref name="result"/> and writes nothing (a refusal, or nothing to change).</summary>
    public static WriteDecision<T> Nothing<T>(T result) => new(result, []);

    /// <summary>An attempt that ends with <paramref name="result"/> once <paramref name="writes"/> are written together.</summary>
    public static WriteDecision<T> Write<T>(T result, params TableTransactionAction[] writes) => new(result, writes);
}

/// <summary>
/// The one way a limit kept in a table is spent: read, decide, and write in one transaction under the ETags read, so the
/// check and the write it allows are one atomic step; when another writer got there first, start again from a fresh
/// read. Writers of one ledger (a row, or a gate over many) in this process take turns, so only another instance can
/// make an attempt lose, and a burst of concurrent requests is served in order instead of starving on retries.
/// </summary>
public static class ConditionalWrites
{
    private const int MaxAttempts = 50;

    private static readonly KeyedTurns Turns = new();

    /// <summary>
    /// Runs <paramref name="decide"/> (which reads what it needs afresh each time) and writes what it decided, again
    /// after a conflict; <paramref name="ledger"/> names what the writes contend on within the partition.
    /// </summary>
    public static async Task<T> RunAsync<T>(TableClient table, string partitionKey, string ledger, Func<Task<WriteDecision<T>>> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(decide);
        using var turn = await Turns.EnterAsync($"{table.Name}\n{partitionKey}\n{ledger}", cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var decision = await decide().ConfigureAwait(false);
            if (decision.Writes.Count == 0)
            {
                return decision.Result;
            }

            try
            {
                var responses = await table.SubmitTransactionAsync(decision.Writes, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < decision.Writes.Count; i++)
                {
                    decision.Writes[i].Entity.ETag = responses.Value[i].Headers.ETag ?? default;
                }

                return decision.Result;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 or 404)
            {
                if (e.Status == 409 && e.FailedTransactionActionIndex is { } index && decision.WhenExists?.Invoke(index) is (true, var ended))
                {
                    return ended;
                }
            }

            if (attempt >= MaxAttempts)
            {
                throw new TimeoutException($"The rows kept changing over {MaxAttempts} attempts.");
            }

            await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A conditional write whose check reads many rows (a count of live sessions, of an org's agents): it is made under
    /// a gate row of the partition that every write passing the check changes, in the same transaction, so no two checks
    /// can both pass on one count. Rows removed meanwhile only make a count stale-high: the check errs toward refusing.
    /// </summary>
    public static Task<T> GatedAsync<T>(TableClient table, string partitionKey, string gateRowKey, Func<Task<WriteDecision<T>>> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(decide);
        return RunAsync(table, partitionKey, gateRowKey, async () =>
        {
            var found = await table.GetEntityIfExistsAsync<LimitGateEntity>(partitionKey, gateRowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var decision = await decide().ConfigureAwait(false);
            if (decision.Writes.Count == 0)
            {
                return decision;
            }

            var gate = found.HasValue ? found.Value! : new LimitGateEntity { PartitionKey = partitionKey, RowKey = gateRowKey };
            gate.Version++;
            var pass = found.HasValue
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, gate, gate.ETag)
                : new TableTransactionAction(TableTransactionActionType.Add, gate);
            return decision with
            {
                Writes = [pass, .. decision.Writes],
                WhenExists = decision.WhenExists is { } exists ? i => i == 0 ? (false, decision.Result) : exists(i - 1) : null,
            };
        }, cancellationToken);
    }
}

/// <summary>A gate row: its version changes with every write that passed the check it guards. Nothing else is in it.</summary>
public sealed class LimitGateEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public long Version { get; set; }
}

/// <summary>One turn at a time per key, in this process; a key's entry lives only while someone holds or waits for it.</summary>
internal sealed class KeyedTurns
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async Task<IDisposable> EnterAsync(string key, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                _entries[key] = entry = new Entry();
            }

            entry.Users++;
        }

        try
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }

        return new Turn(this, key, entry);
    }

    private void Leave(string key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Gate.Dispose();
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Turn(KeyedTurns turns, string key, Entry entry) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                entry.Gate.Release();
                turns.Leave(key, entry);
            }
        }
    }
}
