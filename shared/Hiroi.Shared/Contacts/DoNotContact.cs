using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Privacy;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Contacts;

/// <summary>
/// A number the org must never contact by campaign: PartitionKey = org id, RowKey = the number's pseudonymous
/// <see cref="SubjectKeys"/> key. <see cref="Number"/> is the readable number, removed when the person is erased: the
/// row keeps blocking.
/// </summary>
public sealed class DoNotContactEntity : TableRow
{
    public string? Number { get; set; }
    public DateTimeOffset AddedAt { get; set; }
    public string AddedBy { get; set; } = string.Empty;
    public string? Reason { get; set; }
}

public sealed class DoNotContactRepository(HiroiTables tables) : OrgScopedRepository<DoNotContactEntity>(tables, TableNames.DoNotContact);

/// <summary>The org's do-not-contact list: campaigns check it right before each dispatch. Changes are audited.</summary>
public sealed class DoNotContactList(DoNotContactRepository entries, SubjectKeys subjects, AuditTrail audit, TimeProvider time)
{
    /// <summary>Adds a number; false when it was listed already.</summary>
    public async Task<bool> AddAsync(Caller caller, string e164, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        try
        {
            await entries.AddAsync(caller.OrgId, await EntryAsync(caller, e164, reason, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (ConflictException)
        {
            return false;
        }

        await audit.RecordAsync(caller, AuditActions.DoNotContactAdded, "number:" + PhoneNumberMask.Mask(e164), null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Adds many numbers, 100 per transaction (re-adding a listed number keeps one entry); one audit entry.</summary>
    public async Task AddManyAsync(Caller caller, IAsyncEnumerable<string> numbers, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var batch = new Dictionary<string, DoNotContactEntity>(StringComparer.Ordinal);
        long count = 0;
        await foreach (var e164 in numbers.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            count++;
            var entry = await EntryAsync(caller, e164, reason, cancellationToken).ConfigureAwait(false);
            batch[entry.RowKey] = entry;
            if (batch.Count == DoNotContactRepository.MaxBatch)
            {
                await FlushAsync(caller.OrgId, batch, cancellationToken).ConfigureAwait(false);
            }
        }

        await FlushAsync(caller.OrgId, batch, cancellationToken).ConfigureAwait(false);
        if (count > 0)
        {
            await audit.RecordAsync(caller, AuditActions.DoNotContactAdded, "import", $"numbers={count}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<bool> RemoveAsync(Caller caller, string e164, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var key = await subjects.ForAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false);
        if (!await entries.DeleteAsync(caller.OrgId, key, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await audit.RecordAsync(caller, AuditActions.DoNotContactRemoved, "number:" + PhoneNumberMask.Mask(e164), null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The numbers among <paramref name="numbers"/> on the org's list, read at once.</summary>
    public async Task<IReadOnlySet<string>> ListedAmongAsync(OrgId org, IReadOnlyCollection<string> numbers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(numbers);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e164 in numbers)
        {
            keys[await subjects.ForAsync(org, e164, cancellationToken).ConfigureAwait(false)] = e164;
        }

        var listed = await entries.ExistingAsync(org, keys.Keys, cancellationToken).ConfigureAwait(false);
        return keys.Where(k => listed.Contains(k.Key)).Select(k => k.Value).ToHashSet(StringComparer.Ordinal);
    }

    public async Task<bool> IsListedAsync(OrgId org, string e164, CancellationToken cancellationToken) =>
        await FindAsync(org, e164, cancellationToken).ConfigureAwait(false) is not null;

    public async Task<DoNotContactEntity?> FindAsync(OrgId org, string e164, CancellationToken cancellationToken) =>
        await entries.FindAsync(org, await subjects.ForAsync(org, e164, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    private async Task<DoNotContactEntity> EntryAsync(Caller caller, string e164, string? reason, CancellationToken cancellationToken) => new()
    {
        PartitionKey = caller.OrgId.Value,
        RowKey = await subjects.ForAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false),
        Number = e164,
        AddedAt = time.GetUtcNow(),
        AddedBy = caller.ActorId,
        Reason = reason,
    };

    private async Task FlushAsync(OrgId org, Dictionary<string, DoNotContactEntity> batch, CancellationToken cancellationToken)
    {
        await entries.UpsertBatchAsync(org, batch.Values, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        batch.Clear();
    }
}
