using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Retention;

/// <summary>
/// One kind of an org's stored personal data that the retention sweep deletes when it is older than its period: first
/// found (so the audit entry can be written before anything goes), then deleted.
/// </summary>
public interface IExpiringData
{
    /// <summary>What the audit entry calls it.</summary>
    string Name { get; }

    /// <summary>Whose retention period applies (<see cref="DataKinds"/>).</summary>
    string DataKind { get; }

    /// <summary>Up to <paramref name="max"/> of the org's rows older than <paramref name="cutoff"/>.</summary>
    Task<IReadOnlyList<object>> FindExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken);

    /// <summary>Permanently deletes rows <see cref="FindExpiredAsync"/> returned, and anything they point at.</summary>
    Task DeleteAsync(OrgId org, IReadOnlyList<object> expired, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the sweep writes an audit entry before deleting. Not for the audit trail's own expiry: that entry would
    /// itself outlive the org it belongs to.
    /// </summary>
    bool Audited => true;
}

/// <summary>The common shape: rows of one org-scoped repository, by one time property.</summary>
public abstract class ExpiringRows<TEntity>(OrgScopedRepository<TEntity> rows, string timeProperty) : IExpiringData
    where TEntity : class, Azure.Data.Tables.ITableEntity, new()
{
    public abstract string Name { get; }

    public abstract string DataKind { get; }

    public virtual bool Audited => true;

    public async Task<IReadOnlyList<object>> FindExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        await rows.OlderThanAsync(org, timeProperty, cutoff, max, cancellationToken).ConfigureAwait(false);

    public async Task DeleteAsync(OrgId org, IReadOnlyList<object> expired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expired);
        var typed = expired.Cast<TEntity>().ToList();
        await BeforeDeleteAsync(typed, cancellationToken).ConfigureAwait(false);
        await rows.DeleteAllAsync(org, typed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes what the rows point at (blobs), before the rows that name it go.</summary>
    protected virtual Task BeforeDeleteAsync(IReadOnlyList<TEntity> expired, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>SMS messages, by when they were sent or received.</summary>
public sealed class ExpiringMessages(MessageRepository messages) : ExpiringRows<MessageEntity>(messages, nameof(MessageEntity.At))
{
    public override string Name => "messages";

    public override string DataKind => DataKinds.Messages;
}

/// <summary>Conversations whose last message is past the messages' period (so their messages are gone too).</summary>
public sealed class ExpiringConversations(ConversationRepository conversations) : ExpiringRows<ConversationEntity>(conversations, nameof(ConversationEntity.LastMessageAt))
{
    public override string Name => "conversations";

    public override string DataKind => DataKinds.Messages;
}

/// <summary>Call records, by when the call started, with the index rows that find them by ACS's server call id.</summary>
public sealed class ExpiringCalls(CallRepository calls) : ExpiringRows<CallEntity>(calls, nameof(CallEntity.StartedAt))
{
    public override string Name => "calls";

    public override string DataKind => DataKinds.Calls;

    protected override Task BeforeDeleteAsync(IReadOnlyList<CallEntity> expired, CancellationToken cancellationToken) =>
        calls.DeleteIndexAsync(expired, cancellationToken);
}

/// <summary>Recordings, by when we stored them: the encrypted blob first, then its metadata (ACS's copy was deleted on arrival).</summary>
public sealed class ExpiringRecordings(RecordingRepository recordings, HiroiBlobs blobs) : ExpiringRows<RecordingEntity>(recordings, nameof(RecordingEntity.StoredAt))
{
    public override string Name => "recordings";

    public override string DataKind => DataKinds.Recordings;

    protected override async Task BeforeDeleteAsync(IReadOnlyList<RecordingEntity> expired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expired);
        var container = await blobs.GetAsync(HiroiBlobs.Recordings, cancellationToken).ConfigureAwait(false);
        foreach (var recording in expired)
        {
            await container.DeleteForGoodAsync(recording.BlobName, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Audit entries anonymized when their account (a member, or the whole org) was deleted, a period later.</summary>
public sealed class ExpiringAnonymizedAudit(Audit.AuditRepository entries) : ExpiringRows<Audit.AuditEntity>(entries, nameof(Audit.AuditEntity.AnonymizedAt))
{
    public override string Name => "anonymizedAudit";

    public override string DataKind => DataKinds.AnonymizedAudit;

    public override bool Audited => false;
}

/// <summary>
/// The last trace of a deleted org: its tombstone row, once the anonymized audit period has passed since the deletion
/// and the sweep has removed the last audit entry.
/// </summary>
public sealed class ExpiringDeletedOrg(OrganizationRepository orgs, Audit.AuditRepository entries) : IExpiringData
{
    public string Name => "deletedOrg";

    public string DataKind => DataKinds.AnonymizedAudit;

    public bool Audited => false;

    public async Task<IReadOnlyList<object>> FindExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        var row = await orgs.GetAsync(org, cancellationToken).ConfigureAwait(false);
        if (row?.DeletedAt is not { } deletedAt || deletedAt >= cutoff
            || await entries.ListAsync(org, cancellationToken).AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        return [row];
    }

    public async Task DeleteAsync(OrgId org, IReadOnlyList<object> expired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expired);
        await orgs.DeleteAllAsync(org, expired.Cast<OrganizationEntity>().ToList(), cancellationToken).ConfigureAwait(false);
    }
}
