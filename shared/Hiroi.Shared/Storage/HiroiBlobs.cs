using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Storage;

/// <summary>Blob containers by logical name, prefixed like tables and created once per process on first use.</summary>
public sealed class HiroiBlobs(BlobServiceClient service, IOptions<StorageOptions> options)
{
    public const string Recordings = "recordings";
    private readonly CreatedOnce<BlobContainerClient> _containers = new(async logicalName =>
    {
        var container = service.GetBlobContainerClient(options.Value.Prefix + logicalName);
        await container.CreateIfNotExistsAsync().ConfigureAwait(false);
        return container;
    });

    public Task<BlobContainerClient> GetAsync(string logicalName, CancellationToken cancellationToken = default) =>
        _containers.GetAsync(logicalName, cancellationToken);
}

public static class BlobDeletion
{
    /// <summary>Permanently deletes a blob and its snapshots; gone already is fine.</summary>
    public static async Task DeleteForGoodAsync(this BlobContainerClient container, string blobName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        await container.DeleteBlobIfExistsAsync(blobName, Azure.Storage.Blobs.Models.DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Permanently deletes up to <paramref name="max"/> blobs whose names start with <paramref name="prefix"/>; returns how many.</summary>
    public static async Task<int> DeleteUnderAsync(this BlobContainerClient container, string prefix, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        var names = await container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken)
            .Take(max).Select(b => b.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var name in names)
        {
            await container.DeleteForGoodAsync(name, cancellationToken).ConfigureAwait(false);
        }

        return names.Count;
    }
}
