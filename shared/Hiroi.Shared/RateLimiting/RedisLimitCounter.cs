using Hiroi.Shared.Redis;
using StackExchange.Redis;

namespace Hiroi.Shared.RateLimiting;

/// <summary>
/// Fixed-window counts in Redis, so a limit holds across instances. Taking a slot is one script (read, refuse at the
/// limit, else <c>INCR</c> and set the expiry with the window's first slot), so racing takers on any instance never
/// share a count; giving one back is another (<c>DECR</c>, never below zero, never a window already gone). The window
/// comes from the injected clock, the expiry is relative to it. While Redis is unreachable both throw
/// <see cref="Storage.DependencyUnavailableException"/> at once (<see cref="RedisConnection.RunAsync{T}"/>).
/// </summary>
public sealed class RedisLimitCounter(RedisConnection redis, TimeProvider time) : ILimitCounter
{
    /// <summary>Every window key this counter takes starts so, which tells its slots from an in-process counter's.</summary>
    public const string KeyPrefix = "hiroi:failures:";

    private static readonly LuaScript Take = LuaScript.Prepare(
        "local n = tonumber(redis.call('GET', @key) or '0') "
        + "if n >= tonumber(@limit) then return -1 end "
        + "n = redis.call('INCR', @key) "
        + "if n == 1 then redis.call('PEXPIRE', @key, @ttl) end "
        + "return n");

    private static readonly LuaScript Refund = LuaScript.Prepare(
        "local n = tonumber(redis.call('GET', @key) or '0') "
        + "if n > 0 then return redis.call('DECR', @key) end "
        + "return 0");

    public async ValueTask<WindowSlot> TakeAsync(string subject, TimeSpan window, int limit, CancellationToken cancellationToken)
    {
        var (key, ends, left) = FixedWindow.Of(KeyPrefix + subject, window, time.GetUtcNow());
        var ttl = (long)Math.Ceiling(left.TotalMilliseconds);
        var count = await redis.RunAsync(m => m.GetDatabase().ScriptEvaluateAsync(Take, new { key = (RedisKey)key, limit, ttl })).ConfigureAwait(false);
        return new WindowSlot((long)count > 0, key, ends);
    }

    public async ValueTask RefundAsync(WindowSlot slot, CancellationToken cancellationToken)
    {
        if (slot.Taken)
        {
            await redis.RunAsync(m => m.GetDatabase().ScriptEvaluateAsync(Refund, new { key = (RedisKey)slot.Key })).ConfigureAwait(false);
        }
    }
}
