namespace Hiroi.Shared.RateLimiting;

/// <summary>The keyed <see cref="ILimitCounter"/>s beside the default one (which falls back to per-instance counts).</summary>
public static class LimitCounters
{
    /// <summary>
    /// Counts that hold lockouts taken on any instance (sign-in failures): shared through Redis only, never per
    /// instance, so an outage cannot forget a lockout; while Redis is unreachable taking a slot throws
    /// <see cref="Storage.DependencyUnavailableException"/> (answered 503). In-process when Redis is not configured.
    /// </summary>
    public const string Lockouts = "lockouts";
}
