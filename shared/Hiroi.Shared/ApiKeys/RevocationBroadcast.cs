using Hiroi.Shared.Redis;
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

public sealed class RedisRevocationBroadcast(RedisConnection redis) : IRevocationBroadcast
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("hiroi:revoked");

    public Task PublishAsync(string revoked, CancellationToken cancellationToken) =>
        redis.Multiplexer.GetSubscriber().PublishAsync(Channel, revoked);

    public void Subscribe(Action<string> onRevoked) =>
        redis.Multiplexer.GetSubscriber().Subscribe(Channel, (_, message) =>
        {
            if (message.HasValue)
            {
                onRevoked(message!);
            }
        });
}
