namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// Waiting for a condition, never for a duration: the probe runs until it holds, up to a ceiling generous enough for a
/// machine whose cores are busy with something else. The ceiling only turns a hang into a failure.
/// </summary>
public static class Waits
{
    public static readonly TimeSpan Ceiling = TimeSpan.FromMinutes(2);

    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? ceiling = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(probe);
        var until = DateTimeOffset.UtcNow + (ceiling ?? Ceiling);
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"Still waiting for {what} after {(ceiling ?? Ceiling).TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? ceiling = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync<object>(async () => await condition() ? true : null, what, ceiling);
    }
}

/// <summary>Test data unique by construction within a run: a counter, never a random draw from a small range.</summary>
public static class Unique
{
    private static int _numbers = Environment.ProcessId % 1000 * 1000;

    private static int _dialable = Environment.ProcessId % 1000 * 1000;

    /// <summary>A number that passes full validation (a contact list's), in New York's 212: unique in this run.</summary>
    public static string DialableNumber() =>
        "+1212" + (2_000_000 + Interlocked.Increment(ref _dialable) % 7_999_999).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A North American number (+1 555 ...) no other test of this run is given.</summary>
    public static string PhoneNumber() =>
        "+1555" + (Interlocked.Increment(ref _numbers) % 10_000_000).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
}
