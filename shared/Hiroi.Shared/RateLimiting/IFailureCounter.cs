namespace Hiroi.Shared.RateLimiting;

/// <summary>
/// Counts failures (wrong keys, wrong codes) per subject in fixed windows. In-process by default; a shared
/// implementation (Redis) makes the limit hold across instances.
/// </summary>
public interface IFailureCounter
{
    /// <summary>Failures recorded for <paramref name="subject"/> in the current window.</summary>
    ValueTask<FailureCount> GetAsync(string subject, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>Records one failure and returns the new count.</summary>
    ValueTask<FailureCount> IncrementAsync(string subject, TimeSpan window, CancellationToken cancellationToken);
}

/// <summary>A count and when its window ends (which is when a blocked subject may try again).</summary>
public readonly record struct FailureCount(int Count, DateTimeOffset WindowEnds);

/// <summary>
/// The fixed window an instant falls in, shared by the counters: windows are aligned to the clock (so every instance
/// agrees on them), <see cref="Key"/> names the subject's count in it, and <see cref="Left"/> is how long it still runs.
/// </summary>
public readonly record struct FixedWindow(string Key, DateTimeOffset Ends, TimeSpan Left)
{
    public static FixedWindow Of(string subject, TimeSpan window, DateTimeOffset now)
    {
        var index = now.UtcTicks / window.Ticks;
        var ends = new DateTimeOffset((index + 1) * window.Ticks, TimeSpan.Zero);
        return new FixedWindow($"{subject}|{index}", ends, ends - now);
    }
}
