using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Hiroi.Durable.Campaigns;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Retention;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Retention;

/// <summary>
/// One sweep run and its checkpoint: PartitionKey = <c>sweep</c>, RowKey = the run id (its UTC date). The cursor is the
/// org being swept (orgs are walked in id order) and the name of the kind of data within it (a deploy that adds or
/// removes a kind mid-run does not change what a saved checkpoint means).
/// </summary>
public sealed class SweepRunEntity : ITableEntity
{
    public const string Partition = "sweep";

    public string PartitionKey { get; set; } = Partition;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public bool Done { get; set; }
    public string? LastOrg { get; set; }
    public string? CurrentOrg { get; set; }
    /// <summary>The <see cref="StoredKind.Name"/> being swept in <see cref="CurrentOrg"/>; null before its first kind.</summary>
    public string? Kind { get; set; }

    /// <summary>Set once every org is swept; then the platform's own expiring rows (event claims) go.</summary>
    public bool OrgsDone { get; set; }
    public long Deleted { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    public static string IdFor(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>
/// The retention sweep as checkpointed steps, like a campaign's: each step finds one batch of one kind of expired data
/// for one org (up to <see cref="TableBatchesPerStep"/> table batches of at most 100 rows), writes the audit entry with
/// the count first (so no deletion is ever unaudited; a crash before the delete only means the next run audits those
/// rows again), deletes them 100 per transaction, and moves the cursor on under the run row's ETag. The cutoff comes
/// from the clock and the org's current period at every batch, so nothing younger than its retention is deleted; a run
/// resumed after a crash continues from its last checkpoint (rows deleted but not checkpointed are simply not found again).
/// </summary>
public sealed class RetentionSweep(
    HiroiTables tables, IEnumerable<IExpiringData> kinds, RetentionSettings settings, Hiroi.Shared.Events.EventClaims claims, AuditTrail audit, TimeProvider time)
{
    public const int TableBatch = 100;
    public const int TableBatchesPerStep = 5;
    public const int BatchSize = TableBatch * TableBatchesPerStep;

    /// <summary>The registry's expiring kinds in registry order, each with the code that expires it.</summary>
    private readonly IExpiringData[] _kinds = InRegistryOrder(kinds);

    // The run row as this worker last wrote it: a step that follows its own checkpoint need not read it again (a write
    // by anyone else meanwhile fails on the ETag, and the next step reads afresh).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SweepRunEntity> _lastWritten = new(StringComparer.Ordinal);

    /// <summary>Starts the run for <paramref name="at"/>'s UTC day unless it exists; returns its id.</summary>
    public async Task<string> StartAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var runs = await tables.GetAsync(TableNames.SweepRuns, cancellationToken).ConfigureAwait(false);
        var id = SweepRunEntity.IdFor(at);
        try
        {
            await runs.AddEntityAsync(new SweepRunEntity { RowKey = id, StartedAt = at }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Started already (another instance, or before a restart).
        }

        return id;
    }

    /// <summary>Runs that were started and not finished (a crash, a restart), oldest first.</summary>
    public async Task<IReadOnlyList<string>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        var runs = await tables.GetAsync(TableNames.SweepRuns, cancellationToken).ConfigureAwait(false);
        return await runs.QueryAsync<SweepRunEntity>(r => r.PartitionKey == SweepRunEntity.Partition && !r.Done, cancellationToken: cancellationToken)
            .Select(r => r.RowKey).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<StepOutcome> RunAsync(string runId, CancellationToken cancellationToken)
    {
        var runs = await tables.GetAsync(TableNames.SweepRuns, cancellationToken).ConfigureAwait(false);
        if (!_lastWritten.TryRemove(runId, out var run))
        {
            var found = await runs.GetEntityIfExistsAsync<SweepRunEntity>(SweepRunEntity.Partition, runId, cancellationToken: cancellationToken).ConfigureAwait(false);
            run = found.HasValue ? found.Value : null;
        }

        if (run is null || run.Done)
        {
            return new StepOutcome.Stop("done");
        }

        var now = time.GetUtcNow();
        if (run.OrgsDone)
        {
            // Event claims hold no personal data (a hash of the event id); they are kept a week, then go.
            var deleted = await claims.DeleteExpiredAsync(now, BatchSize, cancellationToken).ConfigureAwait(false);
            run.Deleted += deleted;
            if (deleted < BatchSize)
            {
                run.Done = true;
                run.FinishedAt = now;
            }
        }
        else if (run.CurrentOrg is null)
        {
            run.CurrentOrg = await NextOrgAsync(run.LastOrg, cancellationToken).ConfigureAwait(false);
            run.Kind = _kinds[0].Kind.Name;
            run.OrgsDone = run.CurrentOrg is null;
        }
        else
        {
            await SweepBatchAsync(run, now, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var written = await runs.UpdateEntityAsync(run, run.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            run.ETag = written.Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return new StepOutcome.Stale(); // another worker stepped this run meanwhile
        }

        if (!run.Done)
        {
            _lastWritten[runId] = run;
        }

        return run.Done ? new StepOutcome.Stop("done") : new StepOutcome.Continue();
    }

    private async Task SweepBatchAsync(SweepRunEntity run, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!OrgId.TryParse(run.CurrentOrg, out var org))
        {
            (run.LastOrg, run.CurrentOrg) = (run.CurrentOrg, null); // not an org row we wrote: nothing of ours to sweep
            return;
        }

        var index = Array.FindIndex(_kinds, k => k.Kind.Name == run.Kind);
        if (index < 0)
        {
            (run.LastOrg, run.CurrentOrg) = (run.CurrentOrg, null); // a kind was removed by a deploy mid-run
            return;
        }

        var kind = _kinds[index];
        var rule = kind.Kind.Retention!;
        var periods = await settings.GetAsync(org, cancellationToken).ConfigureAwait(false); // read every batch: a longer period applies at once
        var cutoff = now - TimeSpan.FromDays(periods[rule.DataKind]);
        var expired = await kind.FindExpiredAsync(org, cutoff, BatchSize, cancellationToken).ConfigureAwait(false);
        var deleted = expired.Count;
        if (deleted > 0 && rule.Audited)
        {
            await audit.RecordAsync(Caller.System(org, "retention"), AuditActions.RetentionDeleted, kind.Kind.Name,
                $"deleted={deleted} olderThan={cutoff:O}", cancellationToken).ConfigureAwait(false);
        }

        if (deleted > 0)
        {
            await kind.DeleteAsync(org, expired, cancellationToken).ConfigureAwait(false);
        }

        run.Deleted += deleted;
        if (deleted == BatchSize)
        {
            return; // more of this kind
        }

        if (index + 1 < _kinds.Length)
        {
            run.Kind = _kinds[index + 1].Kind.Name;
        }
        else
        {
            (run.LastOrg, run.CurrentOrg, run.Kind) = (run.CurrentOrg, null, null);
        }
    }

    private static IExpiringData[] InRegistryOrder(IEnumerable<IExpiringData> implementations)
    {
        var byName = implementations.ToDictionary(k => k.Kind.Name, StringComparer.Ordinal);
        return [.. DataRegistry.Expiring.Select(kind => byName.TryGetValue(kind.Name, out var expiring)
            ? expiring
            : throw new InvalidOperationException($"The expiring kind '{kind.Name}' has no {nameof(IExpiringData)} registered."))];
    }

    private async Task<string?> NextOrgAsync(string? after, CancellationToken cancellationToken)
    {
        var orgs = await tables.GetAsync(TableNames.Orgs, cancellationToken).ConfigureAwait(false);
        var filter = after is null
            ? TableClient.CreateQueryFilter($"RowKey eq {Hiroi.Shared.Tenancy.OrganizationEntity.RowKeyValue}")
            : TableClient.CreateQueryFilter($"PartitionKey gt {after} and RowKey eq {Hiroi.Shared.Tenancy.OrganizationEntity.RowKeyValue}");
        await foreach (var org in orgs.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return org.PartitionKey;
        }

        return null;
    }
}
