using Hiroi.Shared.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hiroi.Shared.ApiKeys;

/// <summary>
/// Tells every instance that a credential was revoked, so each drops what it cached about it. In-process by default (one
/// instance); over Redis pub/sub when Redis is configured, which reaches the other instances within milliseconds.
/// </summary>
public interface IRevocationBroadcast
{
    Task PublishAsync(string revoked, CancellationToken cancellationToken);

    void Subscribe(Action<string> onRevoked);
}

public sealed class InProcessRevocationBroadcast : IRevocationBroadcast
{
    private event Action<string>? Revoked;

    public Task PublishAsync(string revoked, CancellationToken cancellationToken)
    {
        Revoked?.Invoke(revoked);
        return Task.CompletedTask;
    }

    public void Subscribe(Action<string> onRevoked) => Revoked += onRevoked;
}

public sealed class RedisRevocationBroadcast(RedisConnection redis, ILogger<RedisRevocationBroadcast> logger) : IRevocationBroadcast
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("hiroi:revoked");

    public Task PublishAsync(string revoked, CancellationToken cancellationToken) =>
        redis.Multiplexer.GetSubscriber().PublishAsync(Channel, revoked);

    /// <summary>
    /// Subscribes off the caller's thread, so a Redis that is down at start delays no request. The client keeps the
    /// subscription and renews it on every reconnect.
    /// </summary>
    public void Subscribe(Action<string> onRevoked) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await redis.Multiplexer.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
                {
                    if (message.HasValue)
                    {
                        onRevoked(message!);
                    }
                }).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning(e, "Could not subscribe to key revocations yet; other instances' revocations reach this one when Redis answers");
            }
        });
}
