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
