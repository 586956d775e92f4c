using System.Globalization;
using System.Text.Json;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Voice;

/// <summary>
/// A row of the <c>CallLimits</c> table (PartitionKey = org id): the org's connected calls (<c>active</c>, their ids) or
/// one caller's calls in one hour (<c>caller_{hash}_{hour}</c>, a count; the number itself is never stored).
/// </summary>
public sealed class CallLimitEntity : TableRow
{
    public const string ActiveKey = "active";

    /// <summary>The calls holding a slot, as a JSON list of call ids.</summary>
    public string? CallIds { get; set; }

    public int Count { get; set; }

    /// <summary>When the row last changed: the retention sweep removes it once that is past the calls' period.</summary>
    public DateTimeOffset At { get; set; }
}

public sealed class CallLimitRepository(HiroiTables tables) : OrgScopedRepository<CallLimitEntity>(tables, TableNames.CallLimits);

/// <summary>
/// Per-org concurrent calls and per-caller calls an hour, each taken before the call is answered in one conditional
/// write under the row's ETag (<see cref="OrgScopedRepository{TEntity}.ChangeRowAsync{T}"/>), so N concurrent calls at a
/// limit L let exactly L through. A slot is given back once, when its call ends; a slot whose call ended without saying
/// so (a lost callback) is reclaimed when the org is at its limit, by reading the calls that hold them.
/// </summary>
public sealed class CallLimits(CallLimitRepository rows, CallRepository calls, SubjectKeys subjects, TimeProvider time)
{
    public async Task<bool> TryTakeSlotAsync(OrgId org, string callId, int limit, CancellationToken cancellationToken)
    {
        // Calls that ended without releasing their slot, read only when the org is full (outside the write, which must stay short).
        var ended = new HashSet<string>(StringComparer.Ordinal);
        for (var pass = 0; pass < 2; pass++)
        {
            var (taken, full) = await rows.ChangeRowAsync<(bool Taken, List<string>? Full)>(org, CallLimitEntity.ActiveKey, row =>
            {
                var held = Ids(row).Where(id => !ended.Contains(id)).ToList();
                if (held.Contains(callId))
                {
                    return ((true, null), null);
                }

                if (held.Count >= limit)
                {
                    return ((false, held), null);
                }

                held.Add(callId);
                return ((true, null), Written(row, r => r.CallIds = JsonSerializer.Serialize(held)));
            }, cancellationToken).ConfigureAwait(false);
            if (taken || full is null)
            {
                return taken;
            }

            foreach (var id in full)
            {
                if (await calls.FindAsync(org, id, cancellationToken).ConfigureAwait(false) is not { } call || CallStates.IsTerminal(call.State))
                {
                    ended.Add(id);
                }
            }

            if (ended.Count == 0)
            {
                return false;
            }
        }

        return false;
    }

    public Task ReleaseSlotAsync(OrgId org, string callId, CancellationToken cancellationToken) =>
        rows.ChangeRowAsync<bool>(org, CallLimitEntity.ActiveKey, row =>
        {
            var held = Ids(row);
            return held.Remove(callId) ? (true, Written(row, r => r.CallIds = JsonSerializer.Serialize(held))) : (false, null);
        }, cancellationToken);

    /// <summary>Counts one call of <paramref name="caller"/> this hour, unless they already made <paramref name="limit"/>.</summary>
    public async Task<bool> TryCountCallerAsync(OrgId org, string caller, int limit, CancellationToken cancellationToken)
    {
        var key = await CallerKeyAsync(org, caller, cancellationToken).ConfigureAwait(false);
        return await rows.ChangeRowAsync<bool>(org, key, row =>
            row is { Count: var count } && count >= limit ? (false, null) : (true, Written(row, r => r.Count++)), cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> CallerKeyAsync(OrgId org, string caller, CancellationToken cancellationToken)
    {
        var hour = time.GetUtcNow().UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        // The number's pseudonym, as the suppression lists key it: the row never holds the number.
        var pseudonym = await subjects.ForAsync(org, caller, cancellationToken).ConfigureAwait(false);
        return $"caller_{pseudonym}_{hour}";
    }

    private CallLimitEntity Written(CallLimitEntity? row, Action<CallLimitEntity> change)
    {
        var target = row ?? new CallLimitEntity();
        change(target);
        target.At = time.GetUtcNow();
        return target;
    }

    private static List<string> Ids(CallLimitEntity? row) =>
        row?.CallIds is { Length: > 0 } json ? JsonSerializer.Deserialize<List<string>>(json) ?? [] : [];
}
