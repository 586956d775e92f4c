using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>
/// A usage row of the <c>AgentUsage</c> table (PartitionKey = org id): the org's caps (<c>use_caps</c>), a day's
/// counters of the org (<c>use_{day}_org</c>), an agent (<c>use_{day}_agt_…</c>) or a widget key (<c>use_{day}_wk_…</c>)
/// checked against the caps, a day's report line per agent and channel (<c>use_{day}_agt_…_{channel}</c>), or a widget
/// key's refused origins of the day (<c>use_{day}_wk_…_refusals</c>, apart from the key's cap counters, which anonymous
/// requests must not contend on). Counts only, nothing personal.
/// </summary>
public sealed class UsageEntity : TableRow
{
    public string? Day { get; set; }
    public string? AgentId { get; set; }
    public string? Channel { get; set; }

    // Cap counters: what turns used, and what running turns have reserved.
    public long Tokens { get; set; }
    public long CostMicroUsd { get; set; }
    public long ReservedTokens { get; set; }
    public long ReservedMicroUsd { get; set; }

    // Report lines.
    public long Turns { get; set; }
    public long RefusedTurns { get; set; }

    /// <summary>Calls to the agent refused at the door by a limit (the org's concurrent calls, the caller's calls an hour).</summary>
    public long RefusedCalls { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }

    // Widget key days: what the key's visitors did.
    public long Sessions { get; set; }
    public long Messages { get; set; }
    public long RefusedOrigins { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }

    // The caps row.
    public long DailyTokenCap { get; set; }
    public long DailyCostCapMicroUsd { get; set; }

    /// <summary>A copy, so a row kept as last written is never changed by a later decision that fails.</summary>
    public UsageEntity Copy() => (UsageEntity)MemberwiseClone();
}

public static class UsageRows
{
    public const string Prefix = "use_";
    public const string Caps = Prefix + "caps";

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string OrgDay(string day) => $"{Prefix}{day}_org";

    /// <summary>A day's cap counters of one agent or widget key (their ids never collide: <c>agt_</c>, <c>wk_</c>).</summary>
    public static string ScopeDay(string day, string agentOrKeyId) => $"{Prefix}{day}_{agentOrKeyId}";

    public static string Report(string day, string agentId, string channel) => $"{Prefix}{day}_{agentId}_{channel}";

    /// <summary>A widget key's refused origins of a day: pages elsewhere that tried the key, counted apart from its caps.</summary>
    public static string Refusals(string day, string keyId) => $"{Prefix}{day}_{keyId}_refusals";
}

/// <summary>What a running turn holds against the caps until it is settled or released.</summary>
public sealed record UsageReservation(string Day, string AgentId, string Channel, long Tokens, long MicroUsd, string? ScopeId = null);

/// <summary>
/// A daily budget beside the org's and the agent's that a turn also reserves against (a widget key's), so metering
/// needs to know nothing of what owns it. <paramref name="ScopeId"/> names its counter row and never collides with an
/// agent id (<c>agt_</c>, <c>wk_</c>).
/// </summary>
public sealed record ScopeCaps(string ScopeId, string Name, long DailyTokenCap, long DailyCostCapMicroUsd);

/// <summary>Why a turn was refused: the cap that would be crossed.</summary>
public sealed record CapRefusal(string Reason);

/// <summary>The org's own daily caps (or the platform defaults).</summary>
public sealed record OrgCaps(long DailyTokenCap, long DailyCostCapMicroUsd);

/// <summary>
/// Daily token and dollar caps per org, agent and widget key, exact under concurrency. Each model call first reserves
/// what it may spend (its prompt and the most output it may produce) in one transaction over the org's, the agent's and
/// the key's rows, each under its ETag (<see cref="ConditionalWrites"/>: writers of an org's usage take turns in this
/// process, so a burst is served in order rather than starving on retries): a call that would cross a cap is refused
/// before it costs anything, and concurrent calls cannot together pass a cap by more than one call's misestimate.
/// Settling replaces the reservation with what the model reported.
/// </summary>
public sealed class UsageMeter(HiroiTables tables, IOptions<AiOptions> options, TimeProvider time)
{
    private const string Ledger = "usage";

    /// <summary>The counter rows this process wrote last (with their ETags), by org and row key.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, UsageEntity> _lastWritten = new(StringComparer.Ordinal);

    /// <summary>Whether the write under way is on its first attempt (set per attempt, inside the org's turn).</summary>
    private readonly AsyncLocal<bool> _trustLastWritten = new();

    private static string Key(OrgId org, string rowKey) => org.Value + "\n" + rowKey;

    private readonly ConcurrentDictionary<string, RefusalTally> _refusals = new(StringComparer.Ordinal);

    public async Task<OrgCaps> CapsAsync(OrgId org, CancellationToken cancellationToken)
    {
        var row = await ReadAsync(await TableAsync(cancellationToken).ConfigureAwait(false), org, UsageRows.Caps, cancellationToken).ConfigureAwait(false);
        return row is { DailyTokenCap: > 0 } ? new OrgCaps(row.DailyTokenCap, row.DailyCostCapMicroUsd) : DefaultCaps;
    }

    public OrgCaps DefaultCaps => new(options.Value.DefaultOrgDailyTokenCap, MicroUsd.FromUsd(options.Value.DefaultOrgDailyCostCapUsd));

    public async Task SetCapsAsync(OrgId org, OrgCaps caps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caps);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new UsageEntity
        {
            PartitionKey = org.Value, RowKey = UsageRows.Caps, DailyTokenCap = caps.DailyTokenCap, DailyCostCapMicroUsd = caps.DailyCostCapMicroUsd,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reserves <paramref name="tokens"/> and <paramref name="microUsd"/> for a turn of <paramref name="agent"/>, or says which cap refuses it.</summary>
    public async Task<(UsageReservation? Reservation, CapRefusal? Refusal)> TryReserveAsync(
        OrgId org, AgentEntity agent, string channel, long tokens, long microUsd, DateTimeOffset now, CancellationToken cancellationToken,
        ScopeCaps? scope = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var day = UsageRows.Day(now);
        var caps = await CapsAsync(org, cancellationToken).ConfigureAwait(false);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        CapRefusal? refusal = null;
        await WriteAsync(table, org, async () =>
        {
            var rows = await CountersAsync(table, org, day, agent.RowKey, scope?.ScopeId, cancellationToken).ConfigureAwait(false);
            refusal = Crosses(rows[0], caps.DailyTokenCap, caps.DailyCostCapMicroUsd, tokens, microUsd, "the org's")
                ?? Crosses(rows[1], agent.DailyTokenCap, agent.DailyCostCapMicroUsd, tokens, microUsd, "the agent's")
                ?? (scope is null ? null : Crosses(rows[2], scope.DailyTokenCap, scope.DailyCostCapMicroUsd, tokens, microUsd, scope.Name));
            if (refusal is not null)
            {
                // A refusal changes no counter, only the day's report line.
                var line = await ReportLineAsync(table, org, day, agent.RowKey, channel, cancellationToken).ConfigureAwait(false);
                line.RefusedTurns++;
                return [line];
            }

            foreach (var row in rows)
            {
                row.ReservedTokens += tokens;
                row.ReservedMicroUsd += microUsd;
            }

            return rows;
        }, cancellationToken).ConfigureAwait(false);
        return refusal is null ? (new UsageReservation(day, agent.RowKey, channel, tokens, microUsd, scope?.ScopeId), null) : (null, refusal);
    }

    /// <summary>
    /// Replaces the reservation with what the call used and adds it to its day's report line; <paramref name="newTurn"/>
    /// (a turn's first call) also counts the turn there, and on its scope's row (a widget key's, a call's).
    /// </summary>
    public Task SettleAsync(
        OrgId org, UsageReservation reservation, long inputTokens, long outputTokens, long costMicroUsd, CancellationToken cancellationToken, bool newTurn = true) =>
        ApplyAsync(org, reservation, inputTokens + outputTokens, costMicroUsd, (report, scopeDay) =>
        {
            report.Turns += newTurn ? 1 : 0;
            report.InputTokens += inputTokens;
            report.OutputTokens += outputTokens;
            report.CostMicroUsd += costMicroUsd;
            if (newTurn && scopeDay is not null)
            {
                // A widget key's messages of the day, a call's turns.
                scopeDay.Messages++;
                scopeDay.LastUsedAt = time.GetUtcNow();
            }
        }, cancellationToken);

    /// <summary>Gives the reservation back: the turn spent nothing (its model call failed before an answer).</summary>
    public Task ReleaseAsync(OrgId org, UsageReservation reservation, CancellationToken cancellationToken) =>
        ApplyAsync(org, reservation, 0, 0, null, cancellationToken);

    /// <summary>The report lines (per agent and channel) of days <paramref name="from"/> to <paramref name="to"/> (UTC, inclusive).</summary>
    public Task<IReadOnlyList<UsageEntity>> ReportAsync(OrgId org, string from, string to, CancellationToken cancellationToken) =>
        DayRowsAsync(org, from, to, row => row.Channel is not null, cancellationToken);

    /// <summary>A widget key's day rows (its counters and its refused origins) from <paramref name="from"/> to <paramref name="to"/> (inclusive).</summary>
    public Task<IReadOnlyList<UsageEntity>> WidgetKeyDaysAsync(OrgId org, string keyId, string from, string to, CancellationToken cancellationToken) =>
        DayRowsAsync(org, from, to, row => row.RowKey == UsageRows.ScopeDay(row.Day ?? string.Empty, keyId) || row.RowKey == UsageRows.Refusals(row.Day ?? string.Empty, keyId),
            cancellationToken);

    /// <summary>Counts a session opened under a widget key today, and when.</summary>
    /// <summary>Counts a call to <paramref name="agentId"/> refused by a limit today, on the agent's voice report line.</summary>
    public async Task CountRefusedCallAsync(OrgId org, string agentId, string channel, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var day = UsageRows.Day(now);
        await WriteAsync(table, org, async () =>
        {
            var line = await ReportLineAsync(table, org, day, agentId, channel, cancellationToken).ConfigureAwait(false);
            line.RefusedCalls++;
            return [line];
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task CountWidgetSessionAsync(OrgId org, string keyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var day = UsageRows.Day(now);
        await WriteAsync(table, org, async () =>
        {
            var row = await CounterAsync(table, org, UsageRows.ScopeDay(day, keyId), day, null, cancellationToken).ConfigureAwait(false);
            row.Sessions++;
            row.LastUsedAt = now;
            return [row];
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Counts a page elsewhere that tried the key, on the key's refusals row (never its cap counters). Concurrent
    /// refusals in this process are added up and written by whichever holds the row's turn, so a flood of them costs
    /// one write at a time, not one queued write each; every request returns after its count is written or handed on.
    /// </summary>
    public async Task CountRefusedOriginAsync(OrgId org, string keyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var day = UsageRows.Day(now);
        var rowKey = UsageRows.Refusals(day, keyId);
        var tallyKey = org.Value + "/" + rowKey;
        var tally = _refusals.GetOrAdd(tallyKey, _ => new RefusalTally());
        Interlocked.Increment(ref tally.Pending);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        while (Volatile.Read(ref tally.Pending) > 0 && await tally.Writing.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            var count = Interlocked.Exchange(ref tally.Pending, 0);
            try
            {
                await ConditionalWrites.RunAsync(table, org.Value, rowKey, async () =>
                {
                    var row = await CounterAsync(table, org, rowKey, day, null, cancellationToken).ConfigureAwait(false);
                    row.RefusedOrigins += count;
                    return WriteDecision.Write(true, Action(row));
                }, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Interlocked.Add(ref tally.Pending, count); // not written: the next refusal carries it
                throw;
            }
            finally
            {
                tally.Writing.Release();
            }
        }

        if (Volatile.Read(ref tally.Pending) == 0)
        {
            _refusals.TryRemove(new KeyValuePair<string, RefusalTally>(tallyKey, tally)); // a late taker of this tally still writes on its own
        }
    }

    private sealed class RefusalTally
    {
        public long Pending;

        public SemaphoreSlim Writing { get; } = new(1, 1);
    }

    private async Task ApplyAsync(
        OrgId org, UsageReservation reservation, long tokens, long microUsd, Action<UsageEntity, UsageEntity?>? report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await WriteAsync(table, org, async () =>
        {
            var rows = await CountersAsync(table, org, reservation.Day, reservation.AgentId, reservation.ScopeId, cancellationToken).ConfigureAwait(false);
            foreach (var row in rows)
            {
                row.ReservedTokens = Math.Max(0, row.ReservedTokens - reservation.Tokens);
                row.ReservedMicroUsd = Math.Max(0, row.ReservedMicroUsd - reservation.MicroUsd);
                row.Tokens += tokens;
                row.CostMicroUsd += microUsd;
            }

            if (report is not null)
            {
                var line = await ReportLineAsync(table, org, reservation.Day, reservation.AgentId, reservation.Channel, cancellationToken).ConfigureAwait(false);
                report(line, reservation.ScopeId is null ? null : rows[2]);
                rows.Add(line);
            }

            return rows;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the org's usage rows, changes them and writes them in one transaction under their ETags (new ones added),
    /// starting again from a fresh read when another writer got there first.
    /// </summary>
    /// <summary>
    /// One write of the org's counters in the org's turn (<see cref="ConditionalWrites"/>). Its first attempt decides on
    /// the rows as this process last wrote them (no reads: the org's writers in this process take turns, so those are
    /// current unless another instance wrote since, which the ETags catch); an attempt after a conflict reads them afresh.
    /// </summary>
    private async Task WriteAsync(TableClient table, OrgId org, Func<Task<List<UsageEntity>>> readAndChange, CancellationToken cancellationToken)
    {
        var attempt = 0;
        List<UsageEntity> written = [];
        await ConditionalWrites.RunAsync(table, org.Value, Ledger, async () =>
        {
            _trustLastWritten.Value = attempt++ == 0;
            written = await readAndChange().ConfigureAwait(false);
            return WriteDecision.Write(true, [.. written.Select(Action)]);
        }, cancellationToken).ConfigureAwait(false);
        if (_lastWritten.Count > 10_000)
        {
            _lastWritten.Clear(); // yesterday's rows and idle orgs' (a clear costs one read per row)
        }

        foreach (var row in written)
        {
            _lastWritten[Key(org, row.RowKey)] = row.Copy();
        }
    }

    /// <summary>A usage row's write: added when new, else replaced under the ETag it was read with.</summary>
    private static TableTransactionAction Action(UsageEntity row) => row.ETag == default
        ? new TableTransactionAction(TableTransactionActionType.Add, row)
        : new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, row.ETag);

    /// <summary>The day's cap counters a turn touches: the org's, the agent's, and the widget key's when it has one, in that order.</summary>
    private async Task<List<UsageEntity>> CountersAsync(TableClient table, OrgId org, string day, string agentId, string? scopeId, CancellationToken cancellationToken)
    {
        var rows = new List<UsageEntity>
        {
            await CounterAsync(table, org, UsageRows.OrgDay(day), day, null, cancellationToken).ConfigureAwait(false),
            await CounterAsync(table, org, UsageRows.ScopeDay(day, agentId), day, agentId, cancellationToken).ConfigureAwait(false),
        };
        if (scopeId is not null)
        {
            rows.Add(await CounterAsync(table, org, UsageRows.ScopeDay(day, scopeId), day, null, cancellationToken).ConfigureAwait(false));
        }

        return rows;
    }

    private async Task<IReadOnlyList<UsageEntity>> DayRowsAsync(OrgId org, string from, string to, Func<UsageEntity, bool> wanted, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {org.Value} and RowKey ge {UsageRows.Prefix + from} and RowKey lt {UsageRows.Prefix + to + "~"}");
        return await table.QueryAsync<UsageEntity>(filter, cancellationToken: cancellationToken).Where(wanted).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    private static CapRefusal? Crosses(UsageEntity row, long tokenCap, long costCap, long tokens, long microUsd, string whose)
    {
        if (tokenCap > 0 && row.Tokens + row.ReservedTokens + tokens > tokenCap)
        {
            return new CapRefusal($"{whose} daily token cap ({tokenCap}) would be crossed");
        }

        return costCap > 0 && row.CostMicroUsd + row.ReservedMicroUsd + microUsd > costCap
            ? new CapRefusal($"{whose} daily cost cap (${MicroUsd.ToUsd(costCap).ToString(CultureInfo.InvariantCulture)}) would be crossed")
            : null;
    }

    private async Task<UsageEntity> CounterAsync(TableClient table, OrgId org, string rowKey, string day, string? agentId, CancellationToken cancellationToken) =>
        await ReadAsync(table, org, rowKey, cancellationToken).ConfigureAwait(false)
        ?? new UsageEntity { PartitionKey = org.Value, RowKey = rowKey, Day = day, AgentId = agentId };

    private async Task<UsageEntity> ReportLineAsync(TableClient table, OrgId org, string day, string agentId, string channel, CancellationToken cancellationToken) =>
        await ReadAsync(table, org, UsageRows.Report(day, agentId, channel), cancellationToken).ConfigureAwait(false)
        ?? new UsageEntity { PartitionKey = org.Value, RowKey = UsageRows.Report(day, agentId, channel), Day = day, AgentId = agentId, Channel = channel };

    /// <summary>A counter row: as this process last wrote it when a first attempt may trust that, else read.</summary>
    private async Task<UsageEntity?> ReadAsync(TableClient table, OrgId org, string rowKey, CancellationToken cancellationToken)
    {
        if (_trustLastWritten.Value && _lastWritten.TryGetValue(Key(org, rowKey), out var kept))
        {
            return kept.Copy();
        }

        var found = await table.GetEntityIfExistsAsync<UsageEntity>(org.Value, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return found.HasValue ? found.Value : null;
    }

    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.AgentUsage, cancellationToken);
}
