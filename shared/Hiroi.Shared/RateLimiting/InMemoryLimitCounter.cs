using Microsoft.Extensions.Caching.Memory;

namespace Hiroi.Shared.RateLimiting;

/// <summary>
/// Fixed-window counts in a bounded memory cache, for one instance; each window's entry expires when the window ends.
/// The window comes from the injected clock and its key names it, so the cache (which runs on the system clock) is only
/// told how long to keep an entry, never an instant on the other clock.
/// </summary>
public sealed class InMemoryLimitCounter(TimeProvider time) : ILimitCounter, IDisposable
{
    private readonly MemoryCache _counts = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    public ValueTask<WindowSlot> TakeAsync(string subject, TimeSpan window, int limit, CancellationToken cancellationToken)
    {
        var (key, ends, left) = FixedWindow.Of(subject, window, time.GetUtcNow());
        var counter = _counts.GetOrCreate(key, entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = left; // positive: a window ends after every instant in it
            entry.Size = 1;
            return new Counter();
        })!;
        // Compare and add in one step: of racing takers at the last slot, one gets it.
        for (var seen = Volatile.Read(ref counter.Value); seen < limit; seen = Volatile.Read(ref counter.Value))
        {
            if (Interlocked.CompareExchange(ref counter.Value, seen + 1, seen) == seen)
            {
                return ValueTask.FromResult(new WindowSlot(true, key, ends));
            }
        }

        return ValueTask.FromResult(new WindowSlot(false, key, ends));
    }

    public ValueTask RefundAsync(WindowSlot slot, CancellationToken cancellationToken)
    {
        if (slot.Taken && _counts.TryGetValue<Counter>(slot.Key, out var counter))
        {
            for (var seen = Volatile.Read(ref counter!.Value); seen > 0; seen = Volatile.Read(ref counter.Value))
            {
                if (Interlocked.CompareExchange(ref counter.Value, seen - 1, seen) == seen)
                {
                    break;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose() => _counts.Dispose();

    private sealed class Counter
    {
        public int Value;
    }
}
