namespace Hiroi.Shared.RateLimiting;

/// <summary>
/// Counts per subject in fixed windows, where a slot is taken before the work it guards: one atomic step reads the
/// count, refuses at the limit, or adds one (Redis <c>INCR</c> in a script, so every instance shares the count;
/// in-process otherwise). A slot is given back only where the work it guarded provably did not happen (a right code:
/// the failure it stood for never came). There is no "read the count" here on purpose: a read, then the work, then an
/// increment lets every concurrent request through on the same count.
/// </summary>
public interface ILimitCounter
{
    /// <summary>Takes one of <paramref name="limit"/> slots of <paramref name="subject"/>'s count in the current window, or refuses.</summary>
    ValueTask<WindowSlot> TakeAsync(string subject, TimeSpan window, int limit, CancellationToken cancellationToken);

    /// <summary>Gives a taken slot back to the window it was taken in (never below zero; a window that ended is left alone).</summary>
    ValueTask RefundAsync(WindowSlot slot, CancellationToken cancellationToken);
}

/// <summary>A slot taken (or refused) in one window: <see cref="Key"/> names the window's count, <see cref="WindowEnds"/> is when a refused subject may try again.</summary>
public readonly record struct WindowSlot(bool Taken, string Key, DateTimeOffset WindowEnds);

/// <summary>One limit: at most <paramref name="Limit"/> per <paramref name="Window"/> for <paramref name="Subject"/>.</summary>
public readonly record struct LimitRule(string Subject, TimeSpan Window, int Limit);

/// <summary>
/// The slots one attempt took under several limits at once (say per account and per IP, each in three windows):
/// <see cref="Allowed"/> when every one was taken; otherwise none is held and <see cref="RetryAt"/> says when to come back.
/// </summary>
public sealed class HeldSlots
{
    private readonly ILimitCounter _counter;
    private readonly IReadOnlyList<WindowSlot> _slots;

    private HeldSlots(ILimitCounter counter, IReadOnlyList<WindowSlot> slots, DateTimeOffset? refusedUntil) =>
        (_counter, _slots, RetryAt) = (counter, slots, refusedUntil ?? default);

    public bool Allowed => RetryAt == default;

    /// <summary>When the limit that refused ends its window (default when allowed).</summary>
    public DateTimeOffset RetryAt { get; }

    /// <summary>
    /// Takes a slot under every rule, in order, or none: a refusal gives back what the earlier rules took. Put the
    /// longest windows first, so a refusal names the latest time worth coming back.
    /// </summary>
    public static async Task<HeldSlots> TakeAsync(ILimitCounter counter, IEnumerable<LimitRule> rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(rules);
        var taken = new List<WindowSlot>();
        foreach (var rule in rules)
        {
            var slot = await counter.TakeAsync(rule.Subject, rule.Window, rule.Limit, cancellationToken).ConfigureAwait(false);
            if (!slot.Taken)
            {
                await new HeldSlots(counter, taken, null).GiveBackAsync(CancellationToken.None).ConfigureAwait(false);
                return new HeldSlots(counter, [], slot.WindowEnds);
            }

            taken.Add(slot);
        }

        return new HeldSlots(counter, taken, null);
    }

    /// <summary>Gives every slot back: the work they were taken for provably did not happen (or was not a failure).</summary>
    public async Task GiveBackAsync(CancellationToken cancellationToken)
    {
        foreach (var slot in _slots)
        {
            await _counter.RefundAsync(slot, cancellationToken).ConfigureAwait(false);
        }
    }
}

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
