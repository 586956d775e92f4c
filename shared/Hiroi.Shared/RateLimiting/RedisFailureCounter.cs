using Hiroi.Shared.Redis;
using StackExchange.Redis;

namespace Hiroi.Shared.RateLimiting;

/// <summary>
/// Fixed-window failure counts in Redis, so a limit holds across instances. One atomic script increments and sets the
/// expiry with the first failure of a window; the window comes from the injected clock, the expiry is relative to it.
/// </summary>
public sealed class RedisFailureCounter(RedisConnection redis, TimeProvider time) : IFailureCounter
{
    private const string KeyPrefix = "hiroi:failures:";

    private static readonly LuaScript Increment = LuaScript.Prepare(
        "local n = redis.call('INCR', @key) if n == 1 then redis.call('PEXPIRE', @key, @ttl) end return n");

    public async ValueTask<FailureCount> GetAsync(string subject, TimeSpan window, CancellationToken cancellationToken)
    {
        var (key, ends, _) = FixedWindow.Of(KeyPrefix + subject, window, time.GetUtcNow());
        var value = await redis.Database.StringGetAsync(key).ConfigureAwait(false);
        return new FailureCount(value.HasValue ? (int)value : 0, ends);
    }

    public async ValueTask<FailureCount> IncrementAsync(string subject, TimeSpan window, CancellationToken cancellationToken)
    {
        var (key, ends, left) = FixedWindow.Of(KeyPrefix + subject, window, time.GetUtcNow());
        var count = await redis.Database.ScriptEvaluateAsync(Increment, new { key = (RedisKey)key, ttl = (long)Math.Ceiling(left.TotalMilliseconds) })
            .ConfigureAwait(false);
        return new FailureCount((int)count, ends);
    }
}
