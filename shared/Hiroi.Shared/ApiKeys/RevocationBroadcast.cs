using System.Collections.Concurrent;
using Hiroi.Shared.Redis;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hiroi.Shared.ApiKeys;

/// <summary>
/// Tells every instance that a credential was revoked, so each drops what it cached about it. In-process by default (one
/// instance); over Redis pub/sub when Redis is configured, which reaches the other instances within milliseconds.
/// </summary>
public interface IRevocationBroadcast
{
    /// <summary>
    /// Unchanged for as long as every revocation reaches this instance; null while that is not assured (Redis
    /// unreachable). A verification cached under one mark may be trusted only while the mark is the same.
    /// </summary>
    long? DeliveryMark { get; }

    Task PublishAsync(string revoked, CancellationToken cancellationToken);

    void Subscribe(Action<string> onRevoked);
}

public sealed class InProcessRevocationBroadcast : IRevocationBroadcast
{
    private event Action<string>? Revoked;

    public long? DeliveryMark => 0;

    public Task PublishAsync(string revoked, CancellationToken cancellationToken)
    {
        Revoked?.Invoke(revoked);
        return Task.CompletedTask;
    }

    public void Subscribe(Action<string> onRevoked) => Revoked += onRevoked;
}

/// <summary>
/// Revocations over Redis pub/sub. Messages sent while an instance was cut off are lost to it, so the mark changes with
/// every outage (its cached verifications are then checked against storage again), and a revocation that could not be
/// published is published again once Redis answers.
/// </summary>
public sealed partial class RedisRevocationBroadcast : IRevocationBroadcast
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("hiroi:revoked");
    private readonly RedisConnection _redis;
    private readonly ILogger<RedisRevocationBroadcast> _logger;
    private readonly ConcurrentQueue<string> _unpublished = new();

    public RedisRevocationBroadcast(RedisConnection redis, ILogger<RedisRevocationBroadcast> logger)
    {
        ArgumentNullException.ThrowIfNull(redis);
        (_redis, _logger) = (redis, logger);
        redis.Availability.Restored += () => _ = PublishUnpublishedAsync();
    }

    public long? DeliveryMark => _redis.Availability.IsUp ? _redis.Availability.Outages : null;

    /// <summary>Publishes, or (Redis unreachable) keeps the revocation to publish once it answers; never fails the revocation itself.</summary>
    public async Task PublishAsync(string revoked, CancellationToken cancellationToken)
    {
        try
        {
            await _redis.RunAsync(m => m.GetSubscriber().PublishAsync(Channel, revoked)).ConfigureAwait(false);
        }
        catch (DependencyUnavailableException)
        {
            _unpublished.Enqueue(revoked);
            LogKept(_logger);
        }
    }

    private async Task PublishUnpublishedAsync()
    {
        var count = _unpublished.Count;
        for (var i = 0; i < count && _unpublished.TryDequeue(out var revoked); i++)
        {
            await PublishAsync(revoked, CancellationToken.None).ConfigureAwait(false); // kept again if Redis went away again
        }
    }

    /// <summary>
    /// Subscribes off the caller's thread, so a Redis that is down at start delays no request; if it cannot yet, it
    /// tries again when Redis answers. Once made, the client keeps the subscription and renews it on every reconnect.
    /// </summary>
    public void Subscribe(Action<string> onRevoked) => _ = Task.Run(() => SubscribeOrRetryAsync(onRevoked));

    private async Task SubscribeOrRetryAsync(Action<string> onRevoked)
    {
        try
        {
            await _redis.Multiplexer.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
            {
                if (message.HasValue)
                {
                    onRevoked(message!);
                }
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogNotSubscribed(_logger, e);
            void Retry()
            {
                _redis.Availability.Restored -= Retry;
                _ = SubscribeOrRetryAsync(onRevoked);
            }

            _redis.Availability.Restored += Retry;
            _redis.Availability.Lost(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A key revocation could not be published (Redis unreachable); it is published when Redis answers")]
    private static partial void LogKept(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to key revocations yet; other instances' revocations reach this one when Redis answers")]
    private static partial void LogNotSubscribed(ILogger logger, Exception e);
}
