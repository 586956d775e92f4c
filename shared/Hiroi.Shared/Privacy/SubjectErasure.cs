using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Storage;
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
public sealed class SubjectErasure(SubjectFinder finder, SubjectKeys subjects, HiroiTables tables, HiroiBlobs blobs, DoNotContactRepository doNotContact, AuditTrail audit, TimeProvider time)
{
    /// <summary>Kinds deleted in this order; contacts last (see remarks).</summary>
    private static readonly string[] DeletionOrder =
    [
        SubjectKinds.Recordings, SubjectKinds.Messages, SubjectKinds.Conversations, SubjectKinds.CallIndex, SubjectKinds.Calls,
        SubjectKinds.CampaignContacts, SubjectKinds.Contacts,
    ];

    public async Task<ErasureResult> EraseAsync(Caller caller, DataSubject subject, bool suppress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var footprint = await finder.FindAsync(caller.OrgId, subject, cancellationToken).ConfigureAwait(false);
        if (footprint.OfKind(SubjectKinds.Membership).Any())
        {
            return new ErasureResult(new Dictionary<string, int>(), RefusedMember: true);
        }

        var suppressed = suppress ? await SuppressAsync(caller, footprint, cancellationToken).ConfigureAwait(false) : 0;

        await StripNumbersAsync(footprint, cancellationToken).ConfigureAwait(false);
        await DeleteRecordingBlobsAsync(footprint, cancellationToken).ConfigureAwait(false);
        foreach (var kind in DeletionOrder)
        {
            await DeleteAsync(footprint.OfKind(kind).ToList(), cancellationToken).ConfigureAwait(false);
        }

        // Audit targets name numbers masked (+1212****177); even those go for the erased numbers.
        await audit.AnonymizeTargetsAsync(caller.OrgId, footprint.Numbers.SelectMany(n => new[] { "phone:" + PhoneNumberMask.Mask(n), "number:" + PhoneNumberMask.Mask(n) }).ToList(), cancellationToken)
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
        var listed = footprint.OfKind(SubjectKinds.DoNotContact).Select(r => r.Row.RowKey).ToHashSet(StringComparer.Ordinal);
        foreach (var e164 in footprint.Numbers)
        {
            var key = await subjects.ForAsync(caller.OrgId, e164, cancellationToken).ConfigureAwait(false);
            if (listed.Contains(key))
            {
                continue;
            }

            try
            {
                await doNotContact.AddAsync(caller.OrgId, new DoNotContactEntity { RowKey = key, AddedAt = time.GetUtcNow(), AddedBy = caller.ActorId, Reason = "erased" }, cancellationToken)
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
        foreach (var found in footprint.Rows.Where(r => r.Kind is SubjectKinds.OptOuts or SubjectKinds.DoNotContact))
        {
            var table = await tables.GetAsync(found.Table, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Every blob under the person's calls (<c>{org}/{call}/</c>), so a blob whose row was lost goes too.</summary>
    private async Task DeleteRecordingBlobsAsync(SubjectFootprint footprint, CancellationToken cancellationToken)
    {
        var container = await blobs.GetAsync(HiroiBlobs.Recordings, cancellationToken).ConfigureAwait(false);
        foreach (var call in footprint.OfKind(SubjectKinds.Calls))
        {
            await container.DeleteUnderAsync(call.Row.PartitionKey + "/" + call.Row.RowKey + "/", int.MaxValue, cancellationToken).ConfigureAwait(false);
        }

        foreach (var recording in footprint.OfKind(SubjectKinds.Recordings))
        {
            if (recording.Row.GetString(nameof(RecordingEntity.BlobName)) is { Length: > 0 } blobName)
            {
                await container.DeleteForGoodAsync(blobName, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DeleteAsync(IReadOnlyList<FoundRow> rows, CancellationToken cancellationToken)
    {
        foreach (var inTable in rows.GroupBy(r => r.Table, StringComparer.Ordinal))
        {
            var table = await tables.GetAsync(inTable.Key, cancellationToken).ConfigureAwait(false);
            await table.DeleteEveryAsync(inTable.Select(r => r.Row), cancellationToken).ConfigureAwait(false);
        }
    }
}
