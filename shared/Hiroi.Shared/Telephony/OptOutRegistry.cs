using Hiroi.Shared.Audit;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Privacy;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Telephony;

/// <summary>
/// A person's messaging consent state with one org: PartitionKey = org id, RowKey = the number's pseudonymous
/// <see cref="SubjectKeys"/> key. A row with <see cref="OptedOut"/> true blocks every SMS and call from the org to that
/// number. <see cref="Number"/> is the readable number, removed when the person is erased: the row keeps blocking.
/// </summary>
public sealed class OptOutEntity : TableRow
{
    public string? Number { get; set; }
    public bool OptedOut { get; set; }
    public DateTimeOffset? OptedOutAt { get; set; }
    public string? OptOutSource { get; set; }
    public string? Keyword { get; set; }
    public DateTimeOffset? OptedInAt { get; set; }
}

public sealed class OptOutRepository(HiroiTables tables) : OrgScopedRepository<OptOutEntity>(tables, TableNames.OptOuts);

public static class OptOutSources
{
    public const string SmsKeyword = "sms-keyword";
    public const string Manual = "manual";
}

/// <summary>
/// Records opt-outs and opt-ins. An opt-out can come from the person's SMS or an admin; an opt-in only from the person's
/// own message after an explicit opt-out. Campaigns and agents cannot override it: every outbound path asks
/// <see cref="IsOptedOutAsync"/> right before it sends or dials.
/// </summary>
public sealed class OptOutRegistry(OptOutRepository optOuts, SubjectKeys subjects, AuditTrail audit, TimeProvider time)
{
    /// <summary>Records an opt-out; returns false when the number was already opted out (nothing changes).</summary>
    public async Task<bool> OptOutAsync(Caller caller, string e164, string source, string? keyword, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var key = await subjects.ForAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await optOuts.FindAsync(caller.OrgId, key, cancellationToken).ConfigureAwait(false);
            if (existing is { OptedOut: true })
            {
                return false;
            }

            var row = existing ?? new OptOutEntity { RowKey = key };
            row.Number = e164;
            row.OptedOut = true;
            row.OptedOutAt = time.GetUtcNow();
            row.OptOutSource = source;
            row.Keyword = keyword;
            try
            {
                if (existing is null)
                {
                    await optOuts.AddAsync(caller.OrgId, row, cancellationToken).ConfigureAwait(false);
                }
                else if (!await optOuts.UpdateAsync(caller.OrgId, row, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }
            }
            catch (ConflictException) when (attempt < 3)
            {
                continue;
            }

            await audit.RecordAsync(caller, AuditActions.OptOutRecorded, "phone:" + PhoneNumberMask.Mask(e164), source, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>Records an opt-in from the person's own message; false (nothing recorded) unless they had opted out.</summary>
    public async Task<bool> OptInFromPersonAsync(Caller caller, string e164, string keyword, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var existing = await FindAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false);
        if (existing is not { OptedOut: true })
        {
            return false;
        }

        existing.OptedOut = false;
        existing.OptedInAt = time.GetUtcNow();
        existing.Keyword = keyword;
        try
        {
            if (!await optOuts.UpdateAsync(caller.OrgId, existing, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        catch (ConflictException)
        {
            return false; // changed concurrently (e.g. a newer STOP): the newer state stands
        }

        await audit.RecordAsync(caller, AuditActions.OptInRecorded, "phone:" + PhoneNumberMask.Mask(e164), keyword, cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    public async Task<bool> IsOptedOutAsync(OrgId org, string e164, CancellationToken cancellationToken) =>
        (await FindAsync(org, e164, cancellationToken).ConfigureAwait(false))?.OptedOut == true;

    /// <summary>The number's row (opted out, or opted back in), or null when it never opted out.</summary>
    public async Task<OptOutEntity?> FindAsync(OrgId org, string e164, CancellationToken cancellationToken) =>
        await optOuts.FindAsync(org, await subjects.ForAsync(org, e164, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<OptOutEntity>> ListAsync(OrgId org, CancellationToken cancellationToken) =>
        await optOuts.ListAsync(org, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
}
