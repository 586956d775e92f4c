namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// Waiting for a condition, never for a duration: the probe runs until it holds, up to a ceiling generous enough for a
/// machine whose cores are busy with something else. The ceiling only turns a hang into a failure; every poll helper of
/// the suite is this one.
/// </summary>
public static class Waits
{
    public static readonly TimeSpan Ceiling = TimeSpan.FromMinutes(2);

    /// <summary>Between probes: short at first, then backing off so many waiting tests do not load a busy machine.</summary>
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>Reads until <paramref name="done"/> holds for what was read, and returns it; a timeout shows the last read.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? ceiling = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var limit = ceiling ?? Ceiling;
        var until = DateTimeOffset.UtcNow + limit;
        var poll = FirstPoll;
        while (true)
        {
            var last = await read();
            if (done(last))
            {
                return last;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"Still waiting for {what} after {limit.TotalSeconds:0} s; last seen: {Describe(last)}");
            }

            await Task.Delay(poll); // the poll interval of this condition wait, not a wait for something to happen
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 3 / 2, LongestPoll.Ticks));
        }
    }

    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? ceiling = null) where T : class =>
        (await UntilAsync(probe, found => found is not null, what, ceiling))!;

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? ceiling = null) =>
        UntilAsync(condition, holds => holds, what, ceiling);

    private static string Describe<T>(T last)
    {
        var text = last?.ToString() ?? "nothing";
        return text.Length > 2000 ? text[..2000] + "…" : text;
    }
}

/// <summary>
/// Test data unique by construction within a run: a counter, never a random draw from a small range. The numbers
/// +1555 8xx xxxx are this class's alone: no test writes one literally, so a counted number never meets a fixed one.
/// </summary>
public static class Unique
{
    private static int _numbers;
    private static int _names;

    private static int _dialable = Environment.ProcessId % 1000 * 1000;

    /// <summary>A number that passes full validation (a contact list's), in New York's 212: unique in this run.</summary>
    public static string DialableNumber() =>
        "+1212" + (2_000_000 + Interlocked.Increment(ref _dialable) % 7_999_999).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A North American number (+1 555 8xx xxxx) no other test of this run is given.</summary>
    public static string PhoneNumber() =>
        "+15558" + (Interlocked.Increment(ref _numbers) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><paramref name="label"/> and a counter, e.g. for names that must not collide within a fixture.</summary>
    public static string Name(string label) =>
        label + "-" + Interlocked.Increment(ref _names).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An address at example.com no other test of this run is given.</summary>
    public static string Email(string label) => Name(label) + "@example.com";
}
