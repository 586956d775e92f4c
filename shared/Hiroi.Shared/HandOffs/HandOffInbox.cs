using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Storage.Queues;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.HandOffs;

/// <summary>
/// One piece of work a request handed off, as it sits in its queue: <paramref name="Id"/> is its idempotency key (each
/// delivery of it acts once), <paramref name="At"/> when the request queued it.
/// </summary>
public sealed record HandOff<T>(Guid Id, DateTimeOffset At, T Item);

/// <summary>
/// The hand-off queues by logical name, prefixed like tables and containers and created once per process. Messages are
/// base64, as the Functions queue trigger reads them. A request that queues work also wakes this process's drain, so
/// locally the work starts at once rather than at the next poll.
/// </summary>
public sealed class HandOffQueues(QueueServiceClient service, IOptions<StorageOptions> options)
{
    /// <summary>Where a message goes after too many failed deliveries: the Functions host's own naming.</summary>
    public const string PoisonSuffix = "-poison";

    /// <summary>How long a poisoned message is kept for someone to look at: a week, the longest a queue keeps one by default.</summary>
    public static readonly TimeSpan PoisonTimeToLive = TimeSpan.FromDays(7);

    private readonly CreatedOnce<QueueClient> _queues = new(async logicalName =>
    {
        var queue = service.GetQueueClient(options.Value.Prefix + logicalName);
        await queue.CreateIfNotExistsAsync().ConfigureAwait(false);
        return queue;
    });

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _wakeUps = new(StringComparer.Ordinal);

    public static QueueClientOptions ClientOptions => new() { MessageEncoding = QueueMessageEncoding.Base64 };

    public Task<QueueClient> GetAsync(string logicalName, CancellationToken cancellationToken = default) => _queues.GetAsync(logicalName, cancellationToken);

    public string PhysicalName(string logicalName) => options.Value.Prefix + logicalName;

    internal void Wake(string logicalName) => WakeUp(logicalName).Release();

    /// <summary>Waits until this process queues work on <paramref name="logicalName"/>, or <paramref name="timeout"/> passes.</summary>
    internal async Task WaitForWorkAsync(string logicalName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var wakeUp = WakeUp(logicalName);
        if (await wakeUp.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            while (wakeUp.Wait(0, CancellationToken.None))
            {
                // One poll serves every request that queued work since the last one.
            }
        }
    }

    private SemaphoreSlim WakeUp(string logicalName) => _wakeUps.GetOrAdd(logicalName, _ => new SemaphoreSlim(0));
}

/// <summary>
/// A durable queue of one kind of work handed off a request: <see cref="EnqueueAsync"/> is one storage write, done before
/// the request answers, and the same write whatever the work will turn out to be, so the answer's time says nothing about
/// it. Nothing is dropped when the queue is long; the limits that bound a flood are spent before the work is queued.
/// </summary>
public abstract class HandOffInbox<T>(HandOffQueues queues, TimeProvider time, string name, TimeSpan timeToLive)
{
    /// <summary>The queue's logical name (the storage prefix goes before it).</summary>
    public string Name => name;

    /// <summary>How long a message waits for a reader before the queue expires it.</summary>
    public TimeSpan TimeToLive => timeToLive;

    public async Task EnqueueAsync(T item, CancellationToken cancellationToken)
    {
        var queue = await queues.GetAsync(name, cancellationToken).ConfigureAwait(false);
        var message = HandOffProcessor.Format(new HandOff<T>(Guid.NewGuid(), time.GetUtcNow(), item));
        await queue.SendMessageAsync(message, visibilityTimeout: null, timeToLive: timeToLive, cancellationToken).ConfigureAwait(false);
        queues.Wake(name);
    }
}

internal static class HandOffJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
