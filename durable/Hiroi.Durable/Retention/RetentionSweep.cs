using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Events;
using Hiroi.Shared.Retention;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Retention;

/// <summary>One batch of one kind of an org's expired data (kind by its <see cref="StoredKind.Name"/>).</summary>
public sealed record SweepBatch(string Org, string Kind);

/// <summary>What a batch deleted, and whether that kind has more expired rows in the org.</summary>
public sealed record SweepBatchResult(int Deleted, bool More);

/// <summary>A page of org ids in id order; <paramref name="Next"/> is where the next page starts after, null at the end.</summary>
public sealed record OrgPage(IReadOnlyList<string> Orgs, string? Next);

/// <summary>
/// The retention sweep's steps, plain code that the sweep orchestrations run as activities: list the orgs a page at a
/// time; for one org and one kind of data, find one batch (up to <see cref="TableBatchesPerStep"/> table batches of 100
/// rows) older than the org's current period, write the audit entry with the count first (so no deletion is ever
/// unaudited; a crash before the delete only means the next try audits those rows again), then delete them 100 per
/// transaction; last, the platform's expired event claims. The cutoff comes from the clock and the org's period at every
/// batch, so nothing younger than its retention is deleted, and a batch run twice finds nothing the first one deleted.
/// </summary>
public sealed class RetentionSweep(
    HiroiTables tables, IEnumerable<IExpiringData> kinds, RetentionSettings settings, EventClaims claims, SignInTokenStore signInTokens, SignInSessionStore signInSessions,
    AuditTrail audit, TimeProvider time)
{
    public const int TableBatch = 100;
    public const int TableBatchesPerStep = 5;
    public const int BatchSize = TableBatch * TableBatchesPerStep;

    /// <summary>The registry's expiring kinds, each with the code that expires it.</summary>
    private readonly Dictionary<string, IExpiringData> _kinds = ByName(kinds);

    /// <summary>The names of the kinds an org's sweep walks, in registry order.</summary>
    public static IReadOnlyList<string> KindNames { get; } = [.. DataRegistry.Expiring.Select(k => k.Name)];

    /// <summary>Up to <paramref name="max"/> org ids after <paramref name="after"/> (deleted orgs' tombstones too: their trail expires).</summary>
    public async Task<OrgPage> OrgsAsync(string? after, int max, CancellationToken cancellationToken)
    {
        var orgs = await tables.GetAsync(TableNames.Orgs, cancellationToken).ConfigureAwait(false);
        var filter = after is null
            ? TableClient.CreateQueryFilter($"RowKey eq {OrganizationEntity.RowKeyValue}")
            : TableClient.CreateQueryFilter($"PartitionKey gt {after} and RowKey eq {OrganizationEntity.RowKeyValue}");
        var page = await orgs.QueryAsync<TableEntity>(filter, maxPerPage: max, select: ["PartitionKey"], cancellationToken: cancellationToken)
            .Select(o => o.PartitionKey).Where(id => OrgId.TryParse(id, out _)).Take(max).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new OrgPage(page, page.Count == max ? page[^1] : null);
    }

    public async Task<SweepBatchResult> SweepBatchAsync(SweepBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!OrgId.TryParse(batch.Org, out var org) || !_kinds.TryGetValue(batch.Kind, out var kind))
        {
            return new SweepBatchResult(0, More: false); // not an org row we wrote, or a kind a deploy removed mid-run
        }

        var rule = kind.Kind.Retention!;
        var periods = await settings.GetAsync(org, cancellationToken).ConfigureAwait(false); // read every batch: a longer period applies at once
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(periods[rule.DataKind]);
        var expired = await kind.FindExpiredAsync(org, cutoff, BatchSize, cancellationToken).ConfigureAwait(false);
        if (expired.Count == 0)
        {
            return new SweepBatchResult(0, More: false);
        }

        if (rule.Audited)
        {
            await audit.RecordAsync(Caller.System(org, "retention"), AuditActions.RetentionDeleted, kind.Kind.Name,
                $"deleted={expired.Count} olderThan={cutoff:O}", cancellationToken).ConfigureAwait(false);
        }

        await kind.DeleteAsync(org, expired, cancellationToken).ConfigureAwait(false);
        return new SweepBatchResult(expired.Count, More: expired.Count == BatchSize);
    }

    /// <summary>
    /// The platform's short-lived rows, no org's to keep: event claims (a hash of the event id, kept a week), expired
    /// magic links and email codes, and ended sessions that never chose an org. Returns the largest count that went, so
    /// the caller runs it again while any of them filled a batch.
    /// </summary>
    public async Task<int> DeleteExpiredClaimsAsync(CancellationToken cancellationToken)
    {
        var claimed = await claims.DeleteExpiredAsync(time.GetUtcNow(), BatchSize, cancellationToken).ConfigureAwait(false);
        var tokens = await signInTokens.DeleteExpiredAsync(BatchSize, cancellationToken).ConfigureAwait(false);
        var sessions = await signInSessions.DeleteEndedWithoutOrgAsync(BatchSize, cancellationToken).ConfigureAwait(false);
        return Math.Max(claimed, Math.Max(tokens, sessions));
    }

    private static Dictionary<string, IExpiringData> ByName(IEnumerable<IExpiringData> implementations)
    {
        var byName = implementations.ToDictionary(k => k.Kind.Name, StringComparer.Ordinal);
        var missing = KindNames.FirstOrDefault(name => !byName.ContainsKey(name));
        return missing is null ? byName : throw new InvalidOperationException($"The expiring kind '{missing}' has no {nameof(IExpiringData)} registered.");
    }
}
