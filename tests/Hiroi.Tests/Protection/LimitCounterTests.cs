using Hiroi.Shared.RateLimiting;
using Hiroi.Shared.Redis;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.Protection;

/// <summary>
/// The one counter every failure and try limit takes its slots from, in both backings (Garnet, and the process's own
/// memory): of N takers fired at once at a limit L, exactly L get a slot, and a slot given back is taken again.
/// </summary>
public sealed class LimitCounterTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2031, 3, 1, 8, 0, 5, TimeSpan.Zero));
    private readonly RedisConnection _redis = new(Options.Create(new RedisOptions { Connection = TestRedis.Connection }));
    private readonly InMemoryLimitCounter _memory;

    public LimitCounterTests() => _memory = new InMemoryLimitCounter(_time);

    public void Dispose()
    {
        _redis.Dispose();
        _memory.Dispose();
    }

    private ILimitCounter Counter(string backing) => backing == "redis" ? new RedisLimitCounter(_redis, _time) : _memory;

    [Theory]
    [InlineData("redis")]
    [InlineData("memory")]
    public async Task Three_hundred_concurrent_takers_at_a_limit_of_seven_get_exactly_seven_slots(string backing)
    {
        var counter = Counter(backing);
        var subject = "test:" + Guid.NewGuid().ToString("N");

        var slots = await Concurrently.RunAsync(300, _ => counter.TakeAsync(subject, TimeSpan.FromMinutes(1), 7, default).AsTask());

        Assert.Equal(7, slots.Count(s => s.Taken));
        Assert.All(slots, s => Assert.Equal(new DateTimeOffset(2031, 3, 1, 8, 1, 0, TimeSpan.Zero), s.WindowEnds));
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("memory")]
    public async Task A_slot_given_back_is_taken_again_and_never_drives_the_count_below_zero(string backing)
    {
        var counter = Counter(backing);
        var subject = "test:" + Guid.NewGuid().ToString("N");
        var window = TimeSpan.FromMinutes(1);
        var taken = new List<WindowSlot>();
        for (var i = 0; i < 3; i++)
        {
            taken.Add(await counter.TakeAsync(subject, window, 3, default));
        }

        Assert.False((await counter.TakeAsync(subject, window, 3, default)).Taken);
        await counter.RefundAsync(taken[0], default);
        var again = await Concurrently.RunAsync(10, _ => counter.TakeAsync(subject, window, 3, default).AsTask());
        Assert.Equal(1, again.Count(s => s.Taken));

        // Refunds beyond what was taken (or of refused slots) change nothing.
        foreach (var slot in taken.Concat(again).Concat(taken))
        {
            await counter.RefundAsync(slot, default);
        }

        var fresh = await Concurrently.RunAsync(10, _ => counter.TakeAsync(subject, window, 3, default).AsTask());
        Assert.Equal(3, fresh.Count(s => s.Taken));

        // A slot of a window that has ended goes back to nothing: the new window starts at zero.
        _time.Advance(window);
        await counter.RefundAsync(fresh.First(s => s.Taken), default);
        Assert.Equal(3, (await Concurrently.RunAsync(5, _ => counter.TakeAsync(subject, window, 3, default).AsTask())).Count(s => s.Taken));
    }

    [Fact]
    public async Task Slots_under_several_rules_are_taken_together_or_not_at_all()
    {
        var counter = Counter("redis");
        var (wide, narrow) = ("test:" + Guid.NewGuid().ToString("N"), "test:" + Guid.NewGuid().ToString("N"));
        LimitRule[] rules = [new(wide, TimeSpan.FromHours(1), 10), new(narrow, TimeSpan.FromMinutes(1), 2)];

        var held = await Concurrently.RunAsync(20, _ => HeldSlots.TakeAsync(counter, rules, default));

        Assert.Equal(2, held.Count(h => h.Allowed));
        // A refusal names the end of the window that refused it (in a burst, a wide one its slots were lent out of).
        Assert.All(held.Where(h => !h.Allowed), h => Assert.Contains(h.RetryAt,
            new[] { new DateTimeOffset(2031, 3, 1, 8, 1, 0, TimeSpan.Zero), new DateTimeOffset(2031, 3, 1, 9, 0, 0, TimeSpan.Zero) }));
        // The refused takers gave back what the wide rule had lent them: it holds only the two.
        var wideLeft = await Concurrently.RunAsync(20, _ => counter.TakeAsync(wide, TimeSpan.FromHours(1), 10, default).AsTask());
        Assert.Equal(8, wideLeft.Count(s => s.Taken));
    }
}
