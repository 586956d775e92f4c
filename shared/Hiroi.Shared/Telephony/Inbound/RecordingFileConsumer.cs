using Azure.Messaging.EventGrid.SystemEvents;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Events;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Telephony.Inbound;

/// <summary>
/// A call recording is ready at ACS: each chunk is downloaded (to a temporary file, so memory stays bounded), encrypted
/// with AES-256-GCM under a fresh data key wrapped by our key-encryption key, stored under the org, recorded, and then
/// ACS's own copy is deleted so no copy outlives our retention. Re-running skips chunks already stored.
/// </summary>
public sealed class RecordingFileConsumer(
    IAcsClient acs, CallRepository calls, RecordingRepository recordings, HiroiBlobs blobs, RecordingKeyRing keys,
    TimeProvider time, ILogger<RecordingFileConsumer> logger) : IAcsEventConsumer
{
    public string EventType => "Microsoft.Communication.RecordingFileStatusUpdated";

    public async Task HandleAsync(InboundEvent inbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var data = inbound.DataAs<AcsRecordingFileStatusUpdatedEventData>();
        var chunks = data.RecordingStorageInfo?.RecordingChunks;
        if (chunks is null || chunks.Count == 0
            || chunks.Any(c => c.DocumentId is not { Length: > 0 and <= EventFields.MaxShortText } || !IsAbsolute(c.ContentLocation) || !IsAbsolute(c.DeleteLocation)))
        {
            throw new MalformedEventException("RecordingFileStatusUpdated needs chunks with documentId, contentLocation and deleteLocation");
        }

        var call = ServerCallId(inbound.Subject) is { } serverCallId ? await calls.FindByServerCallIdAsync(serverCallId, cancellationToken) : null;
        if (call is not { } owner)
        {
            // Not a call we answered or placed: nothing of ours to store, and no org whose retention applies. Acknowledged,
            // so Event Grid does not retry it for a day.
            logger.LogWarning("Recording of a call no org owns: acknowledged and left alone");
            return;
        }

        foreach (var chunk in chunks)
        {
            await StoreAsync(owner.Org, owner.CallId, chunk, data, cancellationToken);
            await acs.DeleteRecordingAsync(new Uri(chunk.DeleteLocation), cancellationToken);
            await MarkDeletedAsync(owner.Org, chunk.DocumentId, cancellationToken);
        }
    }

    private async Task StoreAsync(OrgId org, string callId, AcsRecordingChunkInfoProperties chunk, AcsRecordingFileStatusUpdatedEventData data, CancellationToken cancellationToken)
    {
        var rowKey = RecordingEntity.KeyFor(chunk.DocumentId);
        if (await recordings.FindAsync(org, rowKey, cancellationToken) is not null)
        {
            return;
        }

        var blobName = $"{org.Value}/{callId}/{rowKey}.hrec";
        var tempPath = Path.GetTempFileName();
        try
        {
            await using var download = new FileStream(tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await acs.DownloadRecordingAsync(new Uri(chunk.ContentLocation), download, cancellationToken);
            var plaintextBytes = download.Length;
            download.Position = 0;

            var container = await blobs.GetAsync(HiroiBlobs.Recordings, cancellationToken);
            var blob = container.GetBlobClient(blobName);
            WrappedDataKey key;
            await using (var upload = await blob.OpenWriteAsync(overwrite: true, cancellationToken: cancellationToken))
            {
                key = await keys.EncryptAsync(download, upload, blobName, cancellationToken);
            }

            await blob.SetMetadataAsync(new Dictionary<string, string> { [WrappedDataKey.MetadataName] = key.ToMetadataValue() }, cancellationToken: cancellationToken);
            await recordings.AddAsync(org, new RecordingEntity
            {
                RowKey = rowKey, CallId = callId, BlobName = blobName, WrappedKey = key.ToMetadataValue(), PlaintextBytes = plaintextBytes,
                ChunkIndex = (int)chunk.Index.GetValueOrDefault(), RecordingStartTime = data.RecordingStartTime, DurationMs = data.RecordingDurationMs,
                StoredAt = time.GetUtcNow(),
            }, cancellationToken);
        }
        catch (ConflictException)
        {
            // Stored by a concurrent retake.
        }
        finally
        {
            File.Delete(tempPath);
        }
    }

    private async Task MarkDeletedAsync(OrgId org, string documentId, CancellationToken cancellationToken)
    {
        var row = await recordings.FindAsync(org, RecordingEntity.KeyFor(documentId), cancellationToken);
        if (row is { AcsCopyDeleted: false })
        {
            row.AcsCopyDeleted = true;
            row.ETag = default;
            await recordings.UpdateAsync(org, row, cancellationToken);
        }
    }

    /// <summary>ACS's subject is <c>/recording/call/{callId}/serverCallId/{serverCallId}/recordingId/{recordingId}</c>.</summary>
    internal static string? ServerCallId(string? subject)
    {
        var parts = subject?.Split('/') ?? [];
        var at = Array.IndexOf(parts, "serverCallId");
        return at >= 0 && at + 1 < parts.Length && parts[at + 1].Length is > 0 and <= 512 ? parts[at + 1] : null;
    }

    private static bool IsAbsolute(string? uri) =>
        uri is { Length: <= 2048 } && Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.Scheme is "https" or "http";
}
