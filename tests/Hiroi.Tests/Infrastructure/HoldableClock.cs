namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The real clock, except while held: then it stays at the instant it was held. A burst of tries made under a hold
/// lands in one fixed window of the limits however long a busy machine takes to send it, and never straddles the
/// edge of a minute or an hour (where the next window's share would be looked at too). Timers run on real time.
/// </summary>
public sealed class HoldableClock : TimeProvider
{
    private long _heldTicks; // 0: not held

    public override DateTimeOffset GetUtcNow() =>
        Interlocked.Read(ref _heldTicks) is var held and not 0 ? new DateTimeOffset(held, TimeSpan.Zero) : base.GetUtcNow();

    /// <summary>Holds the clock at now until the returned scope is disposed.</summary>
    public IDisposable Hold()
    {
        Interlocked.Exchange(ref _heldTicks, base.GetUtcNow().UtcTicks);
        return new Release(this);
    }

    private sealed class Release(HoldableClock clock) : IDisposable
    {
        public void Dispose() => Interlocked.Exchange(ref clock._heldTicks, 0);
    }
}
