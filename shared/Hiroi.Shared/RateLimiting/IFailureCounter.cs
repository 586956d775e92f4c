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
