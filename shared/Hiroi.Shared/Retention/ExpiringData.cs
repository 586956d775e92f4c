using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Retention;

/// <summary>One kind of an org's stored personal data that the retention sweep deletes when it is older than its period.</summary>
public interface IExpiringData
{
    /// <summary>What the audit entry calls it.</summary>
    string Name { get; }

    /// <summary>Whose retention period applies (<see cref="DataKinds"/>).</summary>
    string DataKind { get; }

    /// <summary>Permanently deletes up to <paramref name="max"/> rows older than <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> DeleteExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken);
}

/// <summary>SMS messages, by when they were sent or received.</summary>
public sealed class ExpiringMessages(MessageRepository messages) : IExpiringData
{
    public string Name => "messages";

    public string DataKind => DataKinds.Messages;

    public async Task<int> DeleteExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        (await messages.DeleteOlderThanAsync(org, nameof(MessageEntity.At), cutoff, max, null, cancellationToken).ConfigureAwait(false)).Count;
}

/// <summary>Conversations whose last message is past the messages' period (so their messages are gone too).</summary>
public sealed class ExpiringConversations(ConversationRepository conversations) : IExpiringData
{
    public string Name => "conversations";

    public string DataKind => DataKinds.Messages;

    public async Task<int> DeleteExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        (await conversations.DeleteOlderThanAsync(org, nameof(ConversationEntity.LastMessageAt), cutoff, max, null, cancellationToken).ConfigureAwait(false)).Count;
}

/// <summary>Call records, by when the call started.</summary>
public sealed class ExpiringCalls(CallRepository calls) : IExpiringData
{
    public string Name => "calls";

    public string DataKind => DataKinds.Calls;

    public async Task<int> DeleteExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        (await calls.DeleteOlderThanAsync(org, nameof(CallEntity.StartedAt), cutoff, max, null, cancellationToken).ConfigureAwait(false)).Count;
}

/// <summary>Recordings, by when we stored them: the encrypted blob first, then its metadata (ACS's copy was deleted on arrival).</summary>
public sealed class ExpiringRecordings(RecordingRepository recordings, HiroiBlobs blobs) : IExpiringData
{
    public string Name => "recordings";

    public string DataKind => DataKinds.Recordings;

    public async Task<int> DeleteExpiredAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        (await recordings.DeleteOlderThanAsync(org, nameof(RecordingEntity.StoredAt), cutoff, max, async expired =>
        {
            var container = await blobs.GetAsync(HiroiBlobs.Recordings, cancellationToken).ConfigureAwait(false);
            foreach (var recording in expired)
            {
                await container.DeleteBlobIfExistsAsync(recording.BlobName, Azure.Storage.Blobs.Models.DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false)).Count;
}
