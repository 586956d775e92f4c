using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Voice;

/// <summary>
/// A row of the <c>CallLimits</c> table (PartitionKey = org id): the org's connected calls (<c>active</c>, their ids) or
/// one caller's calls in one hour (<c>caller_{hash}_{hour}</c>, a count; the number itself is never stored).
/// </summary>
public sealed class CallLimitEntity : ITableEntity
{
    public const string ActiveKey = "active";

    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    /// <summary>The calls holding a slot, as a JSON list of call ids.</summary>
    public string? CallIds { get; set; }

    public int Count { get; set; }

    /// <summary>When the row last changed: the retention sweep removes it once that is past the calls' period.</summary>
    public DateTimeOffset At { get; set; }
}

public sealed class CallLimitRepository(HiroiTables tables) : OrgScopedRepository<CallLimitEntity>(tables, TableNames.CallLimits);

/// <summary>
/// Per-org concurrent calls and per-caller calls an hour, each taken before the call is answered with one conditional
/// write under the row's ETag, so N concurrent calls at a limit L let exactly L through. A slot is given back once,
/// when its call ends; a slot whose call ended without saying so (a lost callback) is reclaimed when the org is at its
/// limit, by reading the calls that hold them.
/// </summary>
public sealed class CallLimits(CallLimitRepository rows, CallRepository calls, SubjectKeys subjects, TimeProvider time)
{
    private const int MaxAttempts = 50;

    public async Task<bool> TryTakeSlotAsync(OrgId org, string callId, int limit, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await rows.FindAsync(org, CallLimitEntity.ActiveKey, cancellationToken).ConfigureAwait(false);
            var held = Ids(row);
            if (held.Contains(callId))
            {
                return true;
            }

            if (held.Count >= limit)
            {
                var live = await StillConnectedAsync(org, held, cancellationToken).ConfigureAwait(false);
                if (live.Count >= limit)
                {
                    return false;
                }

                held = live;
            }

            held.Add(callId);
            if (await WriteAsync(org, row, CallLimitEntity.ActiveKey, r => r.CallIds = JsonSerializer.Serialize(held), cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        throw new TimeoutException("The org's call slots kept changing; the call event will be redelivered.");
    }

    public async Task ReleaseSlotAsync(OrgId org, string callId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await rows.FindAsync(org, CallLimitEntity.ActiveKey, cancellationToken).ConfigureAwait(false);
            var held = Ids(row);
            if (row is null || !held.Remove(callId))
            {
                return;
            }

            if (await WriteAsync(org, row, CallLimitEntity.ActiveKey, r => r.CallIds = JsonSerializer.Serialize(held), cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        throw new TimeoutException("The org's call slots kept changing; the call event will be redelivered.");
    }

    /// <summary>Counts one call of <paramref name="caller"/> this hour, unless they already made <paramref name="limit"/>.</summary>
    public async Task<bool> TryCountCallerAsync(OrgId org, string caller, int limit, CancellationToken cancellationToken)
    {
        var key = await CallerKeyAsync(org, caller, cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await rows.FindAsync(org, key, cancellationToken).ConfigureAwait(false);
            if (row is { Count: var count } && count >= limit)
            {
                return false;
            }

            if (await WriteAsync(org, row, key, r => r.Count++, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        throw new TimeoutException("The caller's count kept changing; the call event will be redelivered.");
    }

    private async Task<string> CallerKeyAsync(OrgId org, string caller, CancellationToken cancellationToken)
    {
        var hour = time.GetUtcNow().UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        // The number's pseudonym, as the suppression lists key it: the row never holds the number.
        var pseudonym = await subjects.ForAsync(org, caller, cancellationToken).ConfigureAwait(false);
        return $"caller_{pseudonym}_{hour}";
    }

    /// <summary>Creates or changes the row under its ETag; false when another writer got there first.</summary>
    private async Task<bool> WriteAsync(OrgId org, CallLimitEntity? row, string key, Action<CallLimitEntity> change, CancellationToken cancellationToken)
    {
        var target = row ?? new CallLimitEntity { RowKey = key };
        change(target);
        target.At = time.GetUtcNow();
        try
        {
            if (row is null)
            {
                await rows.AddAsync(org, target, cancellationToken).ConfigureAwait(false);
                return true;
            }

            return await rows.UpdateAsync(org, target, cancellationToken).ConfigureAwait(false);
        }
        catch (ConflictException)
        {
            return false;
        }
    }

    private async Task<List<string>> StillConnectedAsync(OrgId org, List<string> held, CancellationToken cancellationToken)
    {
        var live = new List<string>();
        foreach (var id in held)
        {
            if (await calls.FindAsync(org, id, cancellationToken).ConfigureAwait(false) is { } call && !CallStates.IsTerminal(call.State))
            {
                live.Add(id);
            }
        }

        return live;
    }

    private static List<string> Ids(CallLimitEntity? row) =>
        row?.CallIds is { Length: > 0 } json ? JsonSerializer.Deserialize<List<string>>(json) ?? [] : [];
}
