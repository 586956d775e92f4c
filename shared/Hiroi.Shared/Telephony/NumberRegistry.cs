using Azure;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Caching.Memory;

namespace Hiroi.Shared.Telephony;

/// <summary>An ACS number an org owns: PartitionKey = org id, RowKey = the number (E.164).</summary>
public sealed class PhoneNumberEntity : TableRow
{
    public string? Label { get; set; }
    public bool SmsEnabled { get; set; } = true;
    public bool VoiceEnabled { get; set; } = true;
    public DateTimeOffset RegisteredAt { get; set; }
}

/// <summary>The global owner index: PartitionKey = the number, RowKey = <c>owner</c>, value = the org id.</summary>
public sealed class NumberOwnerEntity() : TableRow(Row)
{
    public const string Row = "owner";

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
/// two orgs racing for a number cannot both win. Events are routed to an org by the number they were sent to; owners
/// (and "no owner") are cached for <see cref="OwnerCacheTime"/> because every inbound event asks. A change made here
/// drops the entry at once; other instances see it within that time, as with revoked API keys.
/// </summary>
public sealed class NumberRegistry(HiroiTables tables, PhoneNumberRepository numbers, AuditTrail audit, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan OwnerCacheTime = TimeSpan.FromSeconds(30);

    private readonly MemoryCache _owners = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public void Dispose() => _owners.Dispose();

    public async Task<NumberClaim> RegisterAsync(Caller caller, string e164, string? label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var index = await tables.GetAsync(TableNames.NumberOwners, cancellationToken).ConfigureAwait(false);
        _owners.Remove(e164);
        try
        {
            await index.AddEntityAsync(new NumberOwnerEntity { PartitionKey = e164, OrgId = caller.OrgId.Value }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var owner = await ReadOwnerAsync(e164, cancellationToken).ConfigureAwait(false);
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
        var owner = await ReadOwnerAsync(e164, cancellationToken).ConfigureAwait(false);
        if (owner == caller.OrgId)
        {
            await index.DeleteEntityAsync(e164, NumberOwnerEntity.Row, ETag.All, cancellationToken).ConfigureAwait(false);
        }

        _owners.Remove(e164);

        await audit.RecordAsync(caller, AuditActions.NumberReleased, "number:" + Logging.PhoneNumberMask.Mask(e164), null, cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    /// <summary>The org that owns <paramref name="e164"/>, or null; cached.</summary>
    public async Task<OrgId?> OwnerAsync(string e164, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsAcceptable(e164))
        {
            return null;
        }

        if (_owners.TryGetValue<OrgId?>(e164, out var cached))
        {
            return cached;
        }

        var owner = await ReadOwnerAsync(e164, cancellationToken).ConfigureAwait(false);
        _owners.Set(e164, owner, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = OwnerCacheTime });
        return owner;
    }

    private async Task<OrgId?> ReadOwnerAsync(string e164, CancellationToken cancellationToken)
    {
        var index = await tables.GetAsync(TableNames.NumberOwners, cancellationToken).ConfigureAwait(false);
        var row = await index.GetEntityIfExistsAsync<NumberOwnerEntity>(e164, NumberOwnerEntity.Row, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue && OrgId.TryParse(row.Value!.OrgId, out var org) ? org : null;
    }
}
