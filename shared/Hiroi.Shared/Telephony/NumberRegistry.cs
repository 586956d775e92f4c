using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Telephony;

/// <summary>An ACS number an org owns: PartitionKey = org id, RowKey = the number (E.164).</summary>
public sealed class PhoneNumberEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string? Label { get; set; }
    public bool SmsEnabled { get; set; } = true;
    public bool VoiceEnabled { get; set; } = true;
    public DateTimeOffset RegisteredAt { get; set; }
}

/// <summary>The global owner index: PartitionKey = the number, RowKey = <c>owner</c>, value = the org id.</summary>
public sealed class NumberOwnerEntity : ITableEntity
{
    public const string Row = "owner";

    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = Row;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string OrgId { get; set; } = string.Empty;
}

public sealed class PhoneNumberRepository(HiroiTables tables) : OrgScopedRepository<PhoneNumberEntity>(tables, TableNames.Numbers);

public enum NumberClaim
{
    Registered,
    AlreadyYours,
    OwnedByAnotherOrg,
}

/// <summary>
/// Which org owns which ACS number. A number belongs to one org only: the owner index row is claimed with an insert, so
/// two orgs racing for a number cannot both win. Events are routed to an org by the number they were sent to.
/// </summary>
public sealed class NumberRegistry(HiroiTables tables, PhoneNumberRepository numbers, AuditTrail audit, TimeProvider time)
{
    public async Task<NumberClaim> RegisterAsync(Caller caller, string e164, string? label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var index = await tables.GetAsync(TableNames.NumberOwners, cancellationToken).ConfigureAwait(false);
        try
        {
            await index.AddEntityAsync(new NumberOwnerEntity { PartitionKey = e164, OrgId = caller.OrgId.Value }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var owner = await OwnerAsync(e164, cancellationToken).ConfigureAwait(false);
            if (owner != caller.OrgId)
            {
                return NumberClaim.OwnedByAnotherOrg;
            }

            // Ours already: make sure the org row exists too (a crash may have come between the two writes).
            if (await numbers.FindAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false) is not null)
            {
                return NumberClaim.AlreadyYours;
            }
        }

        await numbers.AddAsync(caller.OrgId, new PhoneNumberEntity { RowKey = e164, Label = label, RegisteredAt = time.GetUtcNow() }, cancellationToken)
            .ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.NumberRegistered, "number:" + Logging.PhoneNumberMask.Mask(e164), null, cancellationToken)
            .ConfigureAwait(false);
        return NumberClaim.Registered;
    }

    public async Task<bool> ReleaseAsync(Caller caller, string e164, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!await numbers.DeleteAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var index = await tables.GetAsync(TableNames.NumberOwners, cancellationToken).ConfigureAwait(false);
        var owner = await OwnerAsync(e164, cancellationToken).ConfigureAwait(false);
        if (owner == caller.OrgId)
        {
            await index.DeleteEntityAsync(e164, NumberOwnerEntity.Row, ETag.All, cancellationToken).ConfigureAwait(false);
        }

        await audit.RecordAsync(caller, AuditActions.NumberReleased, "number:" + Logging.PhoneNumberMask.Mask(e164), null, cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    /// <summary>The org that owns <paramref name="e164"/>, or null.</summary>
    public async Task<OrgId?> OwnerAsync(string e164, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsAcceptable(e164))
        {
            return null;
        }

        var index = await tables.GetAsync(TableNames.NumberOwners, cancellationToken).ConfigureAwait(false);
        var row = await index.GetEntityIfExistsAsync<NumberOwnerEntity>(e164, NumberOwnerEntity.Row, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue && OrgId.TryParse(row.Value!.OrgId, out var org) ? org : null;
    }
}
