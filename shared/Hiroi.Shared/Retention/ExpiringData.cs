using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Retention;

/// <summary>
/// How the retention sweep expires one <see cref="DataRegistry"/> kind that has a <see cref="RetentionRule"/>: its rows
/// older than the org's period are first found (so the audit entry can be written before anything goes), then deleted.
/// </summary>
public interface IExpiringData
{
    /// <summary>The registry kind: its name, table and retention rule.</summary>
    StoredKind Kind { get; }

    /// <summary>Up to <paramref name="max"/> of the org's rows older than <paramref name="cutoff"/>.</summary>
    Task<IReadOnlyList<object>> FindExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken);

    /// <summary>Permanently deletes rows <see cref="FindExpiredAsync"/> returned, and anything they point at.</summary>
    Task DeleteAsync(OrgId org, IReadOnlyList<object> expired, CancellationToken cancellationToken);
}

/// <summary>The common shape: rows of one org-scoped repository, by the kind's age property.</summary>
public abstract class ExpiringRows<TEntity>(OrgScopedRepository<TEntity> rows, StoredKind kind) : IExpiringData
    where TEntity : class, Azure.Data.Tables.ITableEntity, new()
{
    public StoredKind Kind => kind;

    public async Task<IReadOnlyList<object>> FindExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        await rows.OlderThanAsync(org, kind.Retention!.AgeProperty, cutoff, max, cancellationToken).ConfigureAwait(false);

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
public sealed class ExpiringMessages(MessageRepository messages) : ExpiringRows<MessageEntity>(messages, DataRegistry.Messages);

/// <summary>Conversations whose last message is past the messages' period (so their messages are gone too).</summary>
public sealed class ExpiringConversations(ConversationRepository conversations) : ExpiringRows<ConversationEntity>(conversations, DataRegistry.Conversations);

/// <summary>Agent turns (state and metering of each reply), kept as long as the messages they answered.</summary>
public sealed class ExpiringAgentTurns(Agents.AgentTurnRepository turns) : ExpiringRows<Agents.AgentTurnEntity>(turns, DataRegistry.AgentTurns);

/// <summary>Widget transcript lines, by when they were written.</summary>
public sealed class ExpiringWidgetMessages(Widget.WidgetMessageRepository lines) : ExpiringRows<Widget.WidgetMessageEntity>(lines, DataRegistry.WidgetMessages);

/// <summary>Widget sessions, by when they started (their transcript lines went first).</summary>
public sealed class ExpiringWidgetSessions(Widget.WidgetSessionRepository sessions) : ExpiringRows<Widget.WidgetSessionEntity>(sessions, DataRegistry.WidgetSessions);

/// <summary>Used signed-token ids, by when they were used.</summary>
public sealed class ExpiringWidgetTokenIds(Widget.WidgetJtiRepository ids) : ExpiringRows<Widget.WidgetJtiEntity>(ids, DataRegistry.WidgetTokenIds);

/// <summary>Console sessions that acted for the org, the org's auth artefacts period after their end.</summary>
public sealed class ExpiringSignInSessions(SignIn.SignInSessionStore sessions) : IExpiringData
{
    public StoredKind Kind => DataRegistry.SignInSessions;

    public async Task<IReadOnlyList<object>> FindExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        await sessions.EndedBeforeAsync(org, cutoff, max, cancellationToken).ConfigureAwait(false);

    public async Task DeleteAsync(OrgId org, IReadOnlyList<object> expired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expired);
        foreach (var row in expired.Cast<SignIn.SignInSessionEntity>())
        {
            await sessions.RevokeAsync(row.AccountId, row.PartitionKey, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Call records, by when the call started, with the index rows that find them by ACS's server call id.</summary>
public sealed class ExpiringCalls(CallRepository calls) : ExpiringRows<CallEntity>(calls, DataRegistry.Calls)
{
    protected override Task BeforeDeleteAsync(IReadOnlyList<CallEntity> expired, CancellationToken cancellationToken) =>
        calls.DeleteIndexAsync(expired, cancellationToken);
}

/// <summary>Recordings, by when we stored them: the encrypted blob first, then its metadata (ACS's copy was deleted on arrival).</summary>
public sealed class ExpiringRecordings(RecordingRepository recordings, HiroiBlobs blobs) : ExpiringRows<RecordingEntity>(recordings, DataRegistry.Recordings)
{
    protected override async Task BeforeDeleteAsync(IReadOnlyList<RecordingEntity> expired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expired);
        var container = await blobs.GetAsync(Kind.BlobContainer!, cancellationToken).ConfigureAwait(false);
        foreach (var recording in expired)
        {
            await container.DeleteForGoodAsync(recording.BlobName, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Audit entries anonymized when their account (a member, or the whole org) was deleted, a period later.</summary>
public sealed class ExpiringAnonymizedAudit(Audit.AuditRepository entries) : ExpiringRows<Audit.AuditEntity>(entries, DataRegistry.AnonymizedAudit);

/// <summary>
/// The last trace of a deleted org: its tombstone row, once the anonymized audit period has passed since the deletion
/// and the sweep has removed the last audit entry.
/// </summary>
public sealed class ExpiringDeletedOrg(OrganizationRepository orgs, Audit.AuditRepository entries) : IExpiringData
{
    public StoredKind Kind => DataRegistry.DeletedOrg;

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

/// <summary>Call transcript lines, by when each was said (before their calls: the sweep's order is the registry's).</summary>
public sealed class ExpiringCallTranscripts(Voice.CallTranscriptRepository lines) : ExpiringRows<Voice.CallTranscriptEntity>(lines, DataRegistry.CallTranscripts);

/// <summary>Call limit rows untouched for the calls' period (an org's slots while idle, past hours' caller counts).</summary>
public sealed class ExpiringCallLimits(Voice.CallLimitRepository rows) : ExpiringRows<Voice.CallLimitEntity>(rows, DataRegistry.CallLimits);
