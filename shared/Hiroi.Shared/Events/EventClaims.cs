using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Events;

/// <summary>One delivered event's claim: PartitionKey = 2 hex digits of the key (spreads load), RowKey = the key.</summary>
public sealed class EventClaimEntity : TableRow
{
    public bool Done { get; set; }
    public DateTimeOffset LeaseUntil { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

public enum ClaimOutcome
{
    /// <summary>This delivery owns the event: handle it, then complete or release the claim.</summary>
    Claimed,

    /// <summary>Handled before: answer success and do nothing.</summary>
    AlreadyDone,

    /// <summary>Another delivery is handling it right now: answer a retryable status.</summary>
    InProgress,
}

public sealed record EventClaim(ClaimOutcome Outcome, string PartitionKey, string RowKey, ETag ETag);

/// <summary>Section <c>Hiroi:Events</c>.</summary>
public sealed class EventOptions
{
    public const string Section = "Hiroi:Events";

    /// <summary>
    /// How long a claim is held without news from its handler. A running handler renews it every third of this, so a
    /// long one (an agent's turn inside a call callback) keeps it; a crashed one's event is retaken this long after.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(2, 3600)]
    public int ClaimLeaseSeconds { get; set; } = 30;
}

/// <summary>
/// Exactly-once effects over at-least-once delivery. Each event id is claimed with an insert before its handler runs and
/// marked done after; a redelivery of a done event does nothing. A claim whose handler crashed is retaken once its lease
/// expires, so no event is lost; handlers are idempotent for that case. Claims expire after a week (Event Grid retries
/// for at most 24 hours) and the retention sweep removes them.
/// </summary>
public sealed class EventClaims(HiroiTables tables, IOptions<EventOptions> options, TimeProvider time)
{
    public static readonly TimeSpan Keep = TimeSpan.FromDays(7);

    public TimeSpan Lease => TimeSpan.FromSeconds(options.Value.ClaimLeaseSeconds);

    public async Task<EventClaim> ClaimAsync(string source, string eventId, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source + "\n" + eventId)));
        var partition = key[..2];
        var now = time.GetUtcNow();
        var table = await tables.GetAsync(TableNames.EventClaims, cancellationToken).ConfigureAwait(false);
        var fresh = new EventClaimEntity { PartitionKey = partition, RowKey = key, LeaseUntil = now + Lease, ExpiresAt = now + Keep };
        try
        {
            var added = await table.AddEntityAsync(fresh, cancellationToken).ConfigureAwait(false);
            return new EventClaim(ClaimOutcome.Claimed, partition, key, added.Headers.ETag ?? ETag.All);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = await table.GetEntityIfExistsAsync<EventClaimEntity>(partition, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!existing.HasValue)
            {
                return await ClaimAsync(source, eventId, cancellationToken).ConfigureAwait(false); // released meanwhile
            }

            var claim = existing.Value!;
            if (claim.Done)
            {
                return new EventClaim(ClaimOutcome.AlreadyDone, partition, key, claim.ETag);
            }

            if (claim.LeaseUntil > now)
            {
                return new EventClaim(ClaimOutcome.InProgress, partition, key, claim.ETag);
            }

            // The previous handler died mid-way: take the claim over, conditional on nobody else doing so first.
            claim.LeaseUntil = now + Lease;
            try
            {
                var updated = await table.UpdateEntityAsync(claim, claim.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return new EventClaim(ClaimOutcome.Claimed, partition, key, updated.Headers.ETag ?? ETag.All);
            }
            catch (RequestFailedException conflict) when (conflict.Status is 412 or 404)
            {
                return new EventClaim(ClaimOutcome.InProgress, partition, key, claim.ETag);
            }
        }
    }

    /// <summary>Extends the claim's lease; the claim it returns carries the new ETag (false-y outcome when another delivery took it over).</summary>
    public async Task<EventClaim?> RenewAsync(EventClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var table = await tables.GetAsync(TableNames.EventClaims, cancellationToken).ConfigureAwait(false);
        var patch = new TableEntity(claim.PartitionKey, claim.RowKey) { [nameof(EventClaimEntity.LeaseUntil)] = time.GetUtcNow() + Lease };
        try
        {
            var updated = await table.UpdateEntityAsync(patch, claim.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return claim with { ETag = updated.Headers.ETag ?? claim.ETag };
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return null;
        }
    }

    public async Task CompleteAsync(EventClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var table = await tables.GetAsync(TableNames.EventClaims, cancellationToken).ConfigureAwait(false);
        var patch = new TableEntity(claim.PartitionKey, claim.RowKey) { [nameof(EventClaimEntity.Done)] = true };
        await table.UpdateEntityAsync(patch, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Permanently deletes up to <paramref name="max"/> claims past their expiry (Event Grid stopped retrying them long
    /// before), grouped into transactions of at most 100 per partition. Returns how many.
    /// </summary>
    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(TableNames.EventClaims, cancellationToken).ConfigureAwait(false);
        var expired = await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ExpiresAt lt {now}"), select: ["PartitionKey", "RowKey"],
                cancellationToken: cancellationToken)
            .Take(max).ToListAsync(cancellationToken).ConfigureAwait(false);

        foreach (var chunk in expired.GroupBy(c => c.PartitionKey).SelectMany(p => p.Chunk(100)))
        {
            await table.SubmitTransactionAsync(chunk.Select(c => new TableTransactionAction(TableTransactionActionType.Delete, c, ETag.All)), cancellationToken)
                .ConfigureAwait(false);
        }

        return expired.Count;
    }

    /// <summary>Gives the event back, so its redelivery is handled afresh (after a transient fault or a malformed event).</summary>
    public async Task ReleaseAsync(EventClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var table = await tables.GetAsync(TableNames.EventClaims, cancellationToken).ConfigureAwait(false);
        await table.DeleteEntityAsync(claim.PartitionKey, claim.RowKey, claim.ETag, cancellationToken).ConfigureAwait(false);
    }
}
