using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Privacy;

/// <summary>What an erasure did: rows removed per kind; or that it was refused because the person is a member.</summary>
public sealed record ErasureResult(IReadOnlyDictionary<string, int> Erased, bool RefusedMember);

/// <summary>
/// Permanently deletes everything an org holds about a person (GDPR art. 17), at once: recordings (blob, then row),
/// messages, conversations, calls and their index rows, campaign enrolments and contact rows. Opt-outs and
/// do-not-contact entries stay as suppression, keyed by the number's <see cref="SubjectKeys"/> pseudonym with the
/// readable number removed, so no campaign can reach the person again; with <c>suppress</c> the person's numbers are
/// added to the do-not-contact list that way too. The audit entry holds counts, never the identifier.
/// </summary>
/// <remarks>
/// Safe to repeat: a run stopped part-way is finished by the next, because contact rows (which link an email to its
/// numbers) go last. Rows are deleted whatever their version: an erasure is not a sweep that yields to newer writes.
/// </remarks>
public sealed class SubjectErasure(SubjectFinder finder, SubjectKeys subjects, HiroiTables tables, HiroiBlobs blobs,
    DoNotContactRepository doNotContact, AuditTrail audit, TimeProvider time)
{
    public async Task<ErasureResult> EraseAsync(Caller caller, DataSubject subject, bool suppress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var footprint = await finder.FindAsync(caller.OrgId, subject, cancellationToken).ConfigureAwait(false);
        if (footprint.Rows.Any(r => r.Kind.Erasure == ErasureAction.Refuse))
        {
            return new ErasureResult(new Dictionary<string, int>(), RefusedMember: true);
        }

        var suppressed = suppress ? await SuppressAsync(caller, footprint, cancellationToken).ConfigureAwait(false) : 0;

        await StripNumbersAsync(footprint, cancellationToken).ConfigureAwait(false);
        // In registry order: blobs and index rows before the rows that find them, contact rows last (see remarks).
        foreach (var kind in DataRegistry.Personal.Where(k => k.Erasure == ErasureAction.Delete))
        {
            await DeleteAsync(kind, footprint, cancellationToken).ConfigureAwait(false);
        }

        // Audit targets name numbers masked (+1212****177); even those go for the erased numbers.
        var maskedTargets = footprint.Numbers.SelectMany(n => new[] { "phone:" + PhoneNumberMask.Mask(n), "number:" + PhoneNumberMask.Mask(n) }).ToList();
        await audit.AnonymizeTargetsAsync(caller.OrgId, maskedTargets, cancellationToken)
            .ConfigureAwait(false);
        var counts = footprint.Counts();
        counts["numbersSuppressed"] = suppressed;
        await audit.RecordAsync(caller, AuditActions.SubjectErased, "subject", SubjectFootprint.Describe(counts), cancellationToken).ConfigureAwait(false);
        return new ErasureResult(counts, RefusedMember: false);
    }

    /// <summary>Adds each number to the do-not-contact list by its pseudonym only (an existing entry is kept); returns how many were added.</summary>
    private async Task<int> SuppressAsync(Caller caller, SubjectFootprint footprint, CancellationToken cancellationToken)
    {
        var added = 0;
        var listed = footprint.OfKind(DataRegistry.DoNotContact).Select(r => r.Row.RowKey).ToHashSet(StringComparer.Ordinal);
        foreach (var e164 in footprint.Numbers)
        {
            var key = await subjects.ForAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false);
            if (listed.Contains(key))
            {
                continue;
            }

            try
            {
                await doNotContact.AddAsync(caller.OrgId,
                        new DoNotContactEntity { RowKey = key, AddedAt = time.GetUtcNow(), AddedBy = caller.ActorId, Reason = "erased" }, cancellationToken)
                    .ConfigureAwait(false);
                added++;
            }
            catch (ConflictException)
            {
                // Listed meanwhile: the entry stands.
            }
        }

        return added;
    }

    /// <summary>
    /// Opt-out and do-not-contact rows keep blocking under their pseudonymous key; only the readable number goes. Written
    /// under the row's ETag: a STOP that lands meanwhile is read again, never overwritten by the older state.
    /// </summary>
    private async Task StripNumbersAsync(SubjectFootprint footprint, CancellationToken cancellationToken)
    {
        foreach (var found in footprint.Rows.Where(r => r.Kind.Erasure == ErasureAction.StripNumber))
        {
            var table = await tables.GetAsync(found.Kind.Table, cancellationToken).ConfigureAwait(false);
            var row = found.Row;
            for (var attempt = 0; ; attempt++)
            {
                row.Remove(nameof(OptOutEntity.Number));
                try
                {
                    await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RequestFailedException e) when (e.Status is 412 or 404 && attempt < 5)
                {
                    var current = await table.GetEntityIfExistsAsync<TableEntity>(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (!current.HasValue)
                    {
                        break; // removed meanwhile (a do-not-contact entry taken off): nothing left to strip
                    }

                    row = current.Value!;
                }
            }
        }
    }

    /// <summary>
    /// Deletes the person's rows of one kind whatever their version; for a kind whose rows name blobs, first every blob
    /// under the person's calls (<c>{org}/{call}/</c>, so a blob whose row was lost goes too), then each blob a row names.
    /// </summary>
    private async Task DeleteAsync(StoredKind kind, SubjectFootprint footprint, CancellationToken cancellationToken)
    {
        var rows = footprint.OfKind(kind).ToList();
        if (kind.BlobContainer is { } containerName)
        {
            var container = await blobs.GetAsync(containerName, cancellationToken).ConfigureAwait(false);
            foreach (var call in footprint.OfKind(DataRegistry.Calls))
            {
                await container.DeleteUnderAsync(call.Row.PartitionKey + "/" + call.Row.RowKey + "/", int.MaxValue, cancellationToken).ConfigureAwait(false);
            }

            foreach (var blobName in rows.Select(r => r.Row.GetString(nameof(RecordingEntity.BlobName))).OfType<string>().Where(n => n.Length > 0))
            {
                await container.DeleteForGoodAsync(blobName, cancellationToken).ConfigureAwait(false);
            }
        }

        var table = await tables.GetAsync(kind.Table, cancellationToken).ConfigureAwait(false);
        await table.DeleteEveryAsync(rows.Select(r => r.Row), cancellationToken).ConfigureAwait(false);
    }
}
