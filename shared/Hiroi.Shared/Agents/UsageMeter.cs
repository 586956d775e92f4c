using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>
/// A usage row of the <c>AgentUsage</c> table (PartitionKey = org id): the org's caps (<c>use_caps</c>), a day's
/// counters of the org (<c>use_{day}_org</c>) or an agent (<c>use_{day}_agt_…</c>) checked against the caps, or a day's
/// report line per agent and channel (<c>use_{day}_agt_…_{channel}</c>). Counts only, nothing personal.
/// </summary>
public sealed class UsageEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

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
}

public static class UsageRows
{
    public const string Prefix = "use_";
    public const string Caps = Prefix + "caps";

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string OrgDay(string day) => $"{Prefix}{day}_org";

    public static string AgentDay(string day, string agentId) => $"{Prefix}{day}_{agentId}";

    public static string Report(string day, string agentId, string channel) => $"{Prefix}{day}_{agentId}_{channel}";
}

/// <summary>What a running turn holds against the caps until it is settled or released.</summary>
public sealed record UsageReservation(string Day, string AgentId, string Channel, long Tokens, long MicroUsd, string? WidgetKeyId = null);

/// <summary>Why a turn was refused: the cap that would be crossed.</summary>
public sealed record CapRefusal(string Reason);

/// <summary>The org's own daily caps (or the platform defaults).</summary>
public sealed record OrgCaps(long DailyTokenCap, long DailyCostCapMicroUsd);

/// <summary>
/// Daily token and dollar caps per org and per agent, exact under concurrency. A turn first reserves what it may spend
/// (its prompt and the most output it may produce) in one transaction over the org's and the agent's rows, each under
/// its ETag: a turn that would cross a cap is refused before it costs anything, and concurrent turns cannot together
/// pass a cap by more than one turn's misestimate. Settling replaces the reservation with what the model reported.
/// </summary>
public sealed class UsageMeter(HiroiTables tables, IOptions<AiOptions> options)
{
    private const int MaxAttempts = 30;

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
        Widget.WidgetKeyEntity? widgetKey = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var day = UsageRows.Day(now);
        var caps = await CapsAsync(org, cancellationToken).ConfigureAwait(false);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var orgRow = await CounterAsync(table, org, UsageRows.OrgDay(day), day, null, cancellationToken).ConfigureAwait(false);
            var agentRow = await CounterAsync(table, org, UsageRows.AgentDay(day, agent.RowKey), day, agent.RowKey, cancellationToken).ConfigureAwait(false);
            var keyRow = widgetKey is null ? null : await CounterAsync(table, org, UsageRows.AgentDay(day, widgetKey.RowKey), day, null, cancellationToken).ConfigureAwait(false);
            var refusal = Crosses(orgRow, caps.DailyTokenCap, caps.DailyCostCapMicroUsd, tokens, microUsd, "the org's")
                ?? Crosses(agentRow, agent.DailyTokenCap, agent.DailyCostCapMicroUsd, tokens, microUsd, "the agent's")
                ?? (keyRow is null ? null : Crosses(keyRow, widgetKey!.DailyTokenCap, widgetKey.DailyCostCapMicroUsd, tokens, microUsd, "the widget key's"));
            if (refusal is not null)
            {
                await CountRefusalAsync(table, org, day, agent.RowKey, channel, cancellationToken).ConfigureAwait(false);
                return (null, refusal);
            }

            UsageEntity[] rows = keyRow is null ? [orgRow, agentRow] : [orgRow, agentRow, keyRow];
            foreach (var row in rows)
            {
                row.ReservedTokens += tokens;
                row.ReservedMicroUsd += microUsd;
            }

            if (await TrySubmitAsync(table, rows, cancellationToken).ConfigureAwait(false))
            {
                return (new UsageReservation(day, agent.RowKey, channel, tokens, microUsd, widgetKey?.RowKey), null);
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces the reservation with what the turn used, and adds the turn to its day's report line.</summary>
    public Task SettleAsync(OrgId org, UsageReservation reservation, long inputTokens, long outputTokens, long costMicroUsd, CancellationToken cancellationToken) =>
        ApplyAsync(org, reservation, inputTokens + outputTokens, costMicroUsd, report =>
        {
            report.Turns++;
            report.InputTokens += inputTokens;
            report.OutputTokens += outputTokens;
            report.CostMicroUsd += costMicroUsd;
        }, cancellationToken);

    /// <summary>Gives the reservation back: the turn spent nothing (its model call failed before an answer).</summary>
    public Task ReleaseAsync(OrgId org, UsageReservation reservation, CancellationToken cancellationToken) =>
        ApplyAsync(org, reservation, 0, 0, null, cancellationToken);

    /// <summary>The report lines of days <paramref name="from"/> to <paramref name="to"/> (UTC, inclusive).</summary>
    public async Task<IReadOnlyList<UsageEntity>> ReportAsync(OrgId org, string from, string to, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {org.Value} and RowKey ge {UsageRows.Prefix + from} and RowKey lt {UsageRows.Prefix + to + "~"}");
        var lines = new List<UsageEntity>();
        await foreach (var row in table.QueryAsync<UsageEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.Channel is not null)
            {
                lines.Add(row);
            }
        }

        return lines;
    }

    /// <summary>Counts what a widget key's visitors did today (sessions, messages, refused origins) and when.</summary>
    public async Task CountWidgetAsync(OrgId org, string keyId, DateTimeOffset now, Action<UsageEntity> count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(count);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var day = UsageRows.Day(now);
        for (var attempt = 1; ; attempt++)
        {
            var row = await CounterAsync(table, org, UsageRows.AgentDay(day, keyId), day, null, cancellationToken).ConfigureAwait(false);
            count(row);
            row.LastUsedAt = now;
            if (await TrySubmitAsync(table, [row], cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A widget key's day rows from <paramref name="from"/> to <paramref name="to"/> (inclusive).</summary>
    public async Task<IReadOnlyList<UsageEntity>> WidgetKeyDaysAsync(OrgId org, string keyId, string from, string to, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {org.Value} and RowKey ge {UsageRows.Prefix + from} and RowKey lt {UsageRows.Prefix + to + "~"}");
        var days = new List<UsageEntity>();
        await foreach (var row in table.QueryAsync<UsageEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey.EndsWith("_" + keyId, StringComparison.Ordinal))
            {
                days.Add(row);
            }
        }

        return days;
    }

    private async Task ApplyAsync(OrgId org, UsageReservation reservation, long tokens, long microUsd, Action<UsageEntity>? report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var rows = new List<UsageEntity>
            {
                await CounterAsync(table, org, UsageRows.OrgDay(reservation.Day), reservation.Day, null, cancellationToken).ConfigureAwait(false),
                await CounterAsync(table, org, UsageRows.AgentDay(reservation.Day, reservation.AgentId), reservation.Day, reservation.AgentId, cancellationToken).ConfigureAwait(false),
            };
            if (reservation.WidgetKeyId is { } keyId)
            {
                rows.Add(await CounterAsync(table, org, UsageRows.AgentDay(reservation.Day, keyId), reservation.Day, null, cancellationToken).ConfigureAwait(false));
            }

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
                report(line);
                rows.Add(line);
            }

            if (await TrySubmitAsync(table, rows, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task CountRefusalAsync(TableClient table, OrgId org, string day, string agentId, string channel, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var line = await ReportLineAsync(table, org, day, agentId, channel, cancellationToken).ConfigureAwait(false);
            line.RefusedTurns++;
            if (await TrySubmitAsync(table, [line], cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
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

    private static async Task<UsageEntity> CounterAsync(TableClient table, OrgId org, string rowKey, string day, string? agentId, CancellationToken cancellationToken) =>
        await ReadAsync(table, org, rowKey, cancellationToken).ConfigureAwait(false)
        ?? new UsageEntity { PartitionKey = org.Value, RowKey = rowKey, Day = day, AgentId = agentId };

    private static async Task<UsageEntity> ReportLineAsync(TableClient table, OrgId org, string day, string agentId, string channel, CancellationToken cancellationToken) =>
        await ReadAsync(table, org, UsageRows.Report(day, agentId, channel), cancellationToken).ConfigureAwait(false)
        ?? new UsageEntity { PartitionKey = org.Value, RowKey = UsageRows.Report(day, agentId, channel), Day = day, AgentId = agentId, Channel = channel };

    private static async Task<UsageEntity?> ReadAsync(TableClient table, OrgId org, string rowKey, CancellationToken cancellationToken)
    {
        var found = await table.GetEntityIfExistsAsync<UsageEntity>(org.Value, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Writes the rows as read (new ones added, others under their ETags) in one transaction; false when another writer got there first.</summary>
    private static async Task<bool> TrySubmitAsync(TableClient table, IReadOnlyList<UsageEntity> rows, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(rows.Select(row => row.ETag == default
                ? new TableTransactionAction(TableTransactionActionType.Add, row)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, row.ETag)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken)
    {
        if (attempt >= MaxAttempts)
        {
            throw new TimeoutException($"Usage counters kept changing over {MaxAttempts} attempts.");
        }

        return Task.Delay(Random.Shared.Next(1, 5 * Math.Min(attempt, 10)), cancellationToken);
    }

    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.AgentUsage, cancellationToken);
}
