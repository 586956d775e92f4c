using Microsoft.Extensions.Caching.Memory;

namespace Hiroi.Shared.RateLimiting;

/// <summary>
/// Fixed-window failure counts in a bounded memory cache; each window's entry expires when the window ends. The window
/// comes from the injected clock and its key names it, so the cache (which runs on the system clock) is only told how
/// long to keep an entry, never an instant on the other clock.
/// </summary>
public sealed class InMemoryFailureCounter(TimeProvider time) : IFailureCounter, IDisposable
{
    private readonly MemoryCache _counts = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    public ValueTask<FailureCount> GetAsync(string subject, TimeSpan window, CancellationToken cancellationToken)
    {
        var (key, ends, _) = FixedWindow.Of(subject, window, time.GetUtcNow());
        var count = _counts.TryGetValue<Counter>(key, out var counter) ? Volatile.Read(ref counter!.Value) : 0;
        return ValueTask.FromResult(new FailureCount(count, ends));
    }

    public ValueTask<FailureCount> IncrementAsync(string subject, TimeSpan window, CancellationToken cancellationToken)
    {
        var (key, ends, left) = FixedWindow.Of(subject, window, time.GetUtcNow());
        var counter = _counts.GetOrCreate(key, entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = left; // positive: a window ends after every instant in it
            entry.Size = 1;
            return new Counter();
        })!;
        return ValueTask.FromResult(new FailureCount(Interlocked.Increment(ref counter.Value), ends));
    }

    public void Dispose() => _counts.Dispose();

    private sealed class Counter
    {
        public int Value;
    }
}
