using System.Collections.Concurrent;
using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.RateLimiting;
using Hiroi.Shared.Redis;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Faults;

/// <summary>
/// The counters and the revocation channel over a Garnet of the test's own that is stopped (connections refused) and
/// started again empty, as a Redis failover may leave it.
/// </summary>
[Lane(Lanes.Fault)]
public sealed class RedisFallbackTests
{
    private static int _subjects;

    private static string NewSubject() => "fallback-test:" + Interlocked.Increment(ref _subjects);

    private static RedisConnection Connect(OwnGarnet garnet) => new(Options.Create(new RedisOptions { Connection = garnet.Connection }));

    private static bool Shared(WindowSlot slot) => slot.Key.StartsWith(RedisLimitCounter.KeyPrefix, StringComparison.Ordinal);

    [Fact]
    public async Task A_limit_counts_in_the_process_while_Redis_is_down_never_unlimited_and_in_Redis_again_once_it_answers()
    {
        using var garnet = new OwnGarnet();
        await garnet.StartAsync();
        using var redis = Connect(garnet);
        using var local = new InMemoryLimitCounter(TimeProvider.System);
        var counter = new FallbackLimitCounter(new RedisLimitCounter(redis, TimeProvider.System), local);
        var window = TimeSpan.FromHours(1);
        Assert.True(Shared(await counter.TakeAsync(NewSubject(), window, 3, default)));

        garnet.Stop();
        var subject = NewSubject();
        var taken = new List<WindowSlot>();
        for (var i = 0; i < 4; i++)
        {
            taken.Add(await counter.TakeAsync(subject, window, 3, default));
        }

        Assert.All(taken, slot => Assert.False(Shared(slot)));
        Assert.Equal([true, true, true, false], taken.Select(s => s.Taken));
        await counter.RefundAsync(taken[0], default); // given back to the counter that took it
        Assert.True((await counter.TakeAsync(subject, window, 3, default)).Taken);
        Assert.False(redis.Availability.IsUp);

        await garnet.StartAsync();
        await Waits.UntilAsync(async () => Shared(await counter.TakeAsync(NewSubject(), window, 3, default)), "takes to go to Redis again");
        var again = NewSubject();
        Assert.True(Shared(await counter.TakeAsync(again, window, 1, default)));
        Assert.False((await counter.TakeAsync(again, window, 1, default)).Taken);
    }

    [Fact]
    public async Task A_lockout_counter_refuses_at_once_while_Redis_is_down_rather_than_count_afresh()
    {
        using var garnet = new OwnGarnet();
        await garnet.StartAsync();
        using var redis = Connect(garnet);
        var lockouts = new RedisLimitCounter(redis, TimeProvider.System);
        var subject = NewSubject();
        Assert.True((await lockouts.TakeAsync(subject, TimeSpan.FromHours(1), 1, default)).Taken);
        Assert.False((await lockouts.TakeAsync(subject, TimeSpan.FromHours(1), 1, default)).Taken); // locked out

        garnet.Stop();

        await Assert.ThrowsAsync<DependencyUnavailableException>(async () => await lockouts.TakeAsync(subject, TimeSpan.FromHours(1), 1, default));
        Assert.False(redis.Availability.IsUp);
        await Assert.ThrowsAsync<DependencyUnavailableException>(async () => await lockouts.TakeAsync(subject, TimeSpan.FromHours(1), 1, default));
    }

    [Fact]
    public async Task The_revocation_subscription_comes_back_by_itself_and_a_revocation_made_while_Redis_was_down_is_published_when_it_answers()
    {
        using var garnet = new OwnGarnet();
        await garnet.StartAsync();
        using var listening = Connect(garnet);
        using var revoking = Connect(garnet);
        var heard = new ConcurrentQueue<string>();
        var listener = new RedisRevocationBroadcast(listening, NullLogger<RedisRevocationBroadcast>.Instance);
        var revoker = new RedisRevocationBroadcast(revoking, NullLogger<RedisRevocationBroadcast>.Instance);
        listener.Subscribe(heard.Enqueue);
        await Waits.UntilAsync(async () =>
        {
            await revoker.PublishAsync("before", default);
            return heard.Contains("before");
        }, "the subscription to be made");
        var markBefore = listener.DeliveryMark;
        Assert.NotNull(markBefore);

        garnet.Stop();
        await revoker.PublishAsync("during", default); // kept, not thrown: the revocation itself is in storage
        await Waits.UntilAsync(() => Task.FromResult(listener.DeliveryMark is null), "the listener to know it may miss revocations");

        await garnet.StartAsync();
        await Waits.UntilAsync(() => Task.FromResult(heard.Contains("during")), "the kept revocation to be published once Redis answers");
        await revoker.PublishAsync("after", default);
        await Waits.UntilAsync(() => Task.FromResult(heard.Contains("after")), "a revocation after the outage to arrive");
        Assert.NotNull(listener.DeliveryMark);
        Assert.NotEqual(markBefore, listener.DeliveryMark); // cached verifications from before are checked against storage again
    }
}
