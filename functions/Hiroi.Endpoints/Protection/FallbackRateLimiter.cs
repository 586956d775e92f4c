using System.Threading.RateLimiting;
using Hiroi.Shared.Redis;
using StackExchange.Redis;

namespace Hiroi.Endpoints.Protection;

/// <summary>
/// One partition's limit: the shared (Redis) limiter while Redis answers, the partition's in-process limiter while it
/// does not, so an outage leaves each instance holding the limit by itself, never no limit.
/// </summary>
internal sealed class FallbackRateLimiter(RateLimiter shared, RateLimiter local, RedisAvailability availability) : RateLimiter
{
    /// <summary>Idle only when both are (the in-process one's count is dropped with it only once its window is over).</summary>
    public override TimeSpan? IdleDuration => shared.IdleDuration is { } a && local.IdleDuration is { } b ? (a < b ? a : b) : null;

    public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

    // The Redis limiter answers only asynchronously (a refused attempt here sends the middleware to AcquireAsync).
    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        availability.IsUp ? shared.AttemptAcquire(permitCount) : local.AttemptAcquire(permitCount);

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (availability.IsUp)
        {
            try
            {
                return await shared.AcquireAsync(permitCount, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or TimeoutException)
            {
                availability.Lost(e);
            }
        }

        return await local.AcquireAsync(permitCount, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            shared.Dispose();
            local.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await shared.DisposeAsync().ConfigureAwait(false);
        await local.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }
}
