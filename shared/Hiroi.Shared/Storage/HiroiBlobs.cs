using System.Collections.Concurrent;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Storage;

/// <summary>Blob containers by logical name, prefixed like tables and created once per process on first use.</summary>
public sealed class HiroiBlobs(BlobServiceClient service, IOptions<StorageOptions> options)
{
    public const string Recordings = "recordings";
    private readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containers = new(StringComparer.Ordinal);

    public Task<BlobContainerClient> GetAsync(string logicalName, CancellationToken cancellationToken = default)
    {
        var lazy = _containers.GetOrAdd(logicalName, name => new Lazy<Task<BlobContainerClient>>(() => CreateAsync(name)));
        if (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            _containers.TryRemove(new KeyValuePair<string, Lazy<Task<BlobContainerClient>>>(logicalName, lazy));
        }

        return lazy.Value.WaitAsync(cancellationToken);
    }

    private async Task<BlobContainerClient> CreateAsync(string logicalName)
    {
        var container = service.GetBlobContainerClient(options.Value.Prefix + logicalName);
        await container.CreateIfNotExistsAsync().ConfigureAwait(false);
        return container;
    }
}
