using Hiroi.Shared.Storage;

namespace Hiroi.Shared.RateLimiting;

/// <summary>
/// The shared count while Redis answers, this instance's own count while it does not: a limit never lapses, it only
/// holds per instance for the length of an outage (an instance then allows up to the limit by itself). A slot goes back
/// to the counter that took it; one Redis took and cannot take back now stays spent, the stricter side.
/// </summary>
public sealed class FallbackLimitCounter(RedisLimitCounter shared, InMemoryLimitCounter local) : ILimitCounter
{
    public async ValueTask<WindowSlot> TakeAsync(string subject, TimeSpan window, int limit, CancellationToken cancellationToken)
    {
        try
        {
            return await shared.TakeAsync(subject, window, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyUnavailableException)
        {
            return await local.TakeAsync(subject, window, limit, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask RefundAsync(WindowSlot slot, CancellationToken cancellationToken)
    {
        if (!slot.Key.StartsWith(RedisLimitCounter.KeyPrefix, StringComparison.Ordinal))
        {
            await local.RefundAsync(slot, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await shared.RefundAsync(slot, cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyUnavailableException)
        {
            // Left spent: counting one failure too many is the safe side.
        }
    }
}
