using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Storage;

/// <summary>Storage queues by logical name, prefixed like tables and created once per process on first use.</summary>
public sealed class HiroiQueues(QueueServiceClient service, IOptions<StorageOptions> options)
{
    private readonly CreatedOnce<QueueClient> _queues = new(async logicalName =>
    {
        var queue = service.GetQueueClient((options.Value.Prefix + logicalName).ToLowerInvariant());
        await queue.CreateIfNotExistsAsync().ConfigureAwait(false);
        return queue;
    });

    public Task<QueueClient> GetAsync(string logicalName, CancellationToken cancellationToken = default) =>
        _queues.GetAsync(logicalName, cancellationToken);
}
