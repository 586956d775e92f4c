using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;

namespace Hiroi.Shared.Telephony;

/// <summary>
/// A stored, encrypted recording chunk: PartitionKey = org id, RowKey = <c>rec_</c> + hash of ACS's document id.
/// The blob lives at <see cref="BlobName"/> in the recordings container; <see cref="WrappedKey"/> is its data key, wrapped.
/// </summary>
public sealed class RecordingEntity : TableRow
{
    public string CallId { get; set; } = string.Empty;
    public string BlobName { get; set; } = string.Empty;
    public string WrappedKey { get; set; } = string.Empty;
    public long PlaintextBytes { get; set; }
    public int ChunkIndex { get; set; }
    public DateTimeOffset? RecordingStartTime { get; set; }
    public long? DurationMs { get; set; }
    public DateTimeOffset StoredAt { get; set; }

    /// <summary>True once ACS's own copy has been deleted.</summary>
    public bool AcsCopyDeleted { get; set; }

    public static string KeyFor(string documentId) =>
        "rec_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(documentId)).AsSpan(0, 12));
}

public sealed class RecordingRepository(HiroiTables tables) : Tenancy.OrgScopedRepository<RecordingEntity>(tables, TableNames.Recordings)
{
    /// <summary>The stored chunks of one call of the org, in recording order.</summary>
    public async Task<IReadOnlyList<RecordingEntity>> ForCallAsync(Tenancy.OrgId org, string callId, CancellationToken cancellationToken)
    {
        var chunks = new List<RecordingEntity>();
        await foreach (var chunk in QueryAsync(org, $"CallId eq {callId}", cancellationToken).ConfigureAwait(false))
        {
            chunks.Add(chunk);
        }

        return [.. chunks.OrderBy(c => c.ChunkIndex).ThenBy(c => c.StoredAt)];
    }
}
