using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.ApiKeys;

/// <summary>Section <c>Hiroi:ApiKeys</c>.</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Hiroi:ApiKeys";

    /// <summary>
    /// How long a successful verification is trusted without re-deriving PBKDF2. Revocation drops the entry on the
    /// instance that revoked; other instances see it within this time.
    /// </summary>
    [Range(1, 600)]
    public int CacheSeconds { get; set; } = 60;

    /// <summary>Upper bound on cached verifications, so a flood of valid keys cannot grow memory without limit.</summary>
    [Range(100, 1_000_000)]
    public int CacheSize { get; set; } = 10_000;

    /// <summary>
    /// Failed verifications one client may make with one key id in a window before its wrong keys are answered 429 (its
    /// right key still passes).
    /// </summary>
    [Range(1, 1000)]
    public int MaxFailuresPerKeyAndClient { get; set; } = 10;

    /// <summary>Failed verifications allowed per client IP in one window, over all key ids.</summary>
    [Range(1, 10_000)]
    public int MaxFailuresPerClient { get; set; } = 30;

    [Range(10, 86_400)]
    public int FailureWindowSeconds { get; set; } = 900;

    /// <summary>Write LastUsedAt at most this often per key, so a busy key does not write on every request.</summary>
    [Range(1, 86_400)]
    public int LastUsedResolutionSeconds { get; set; } = 60;
}
