using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Storage;

/// <summary>Section <c>Hiroi:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Hiroi:Storage";

    /// <summary>
    /// Prefix of every table, container and queue name. Tests give each fixture its own prefix so they never see
    /// each other's data; deployments keep the default.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z][a-z0-9]{1,15}$", ErrorMessage = "must be 2-16 lowercase letters or digits, starting with a letter")]
    public string Prefix { get; set; } = "hiroi";

    /// <summary>
    /// How long one try of a table or queue call may wait for an answer before it is abandoned and retried. Storage
    /// answers these in milliseconds (its own bound for a single-entity operation is 2 s); a hung account must not hold a
    /// request for the SDK's default of 100 s.
    /// </summary>
    [Range(1, 120)]
    public int NetworkTimeoutSeconds { get; set; } = 2;

    /// <summary>The same for blob calls, which carry recordings and exports (a block of several MB per try).</summary>
    [Range(1, 600)]
    public int BlobNetworkTimeoutSeconds { get; set; } = 10;

    /// <summary>Retries after the first try of a call that failed transiently (503 ServerBusy, 500, 408, 429, a timeout, a refused connection).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's wait; each next one doubles it (with the SDK's jitter) up to <see cref="MaxRetryDelayMilliseconds"/>.</summary>
    [Range(1, 60_000)]
    public int RetryDelayMilliseconds { get; set; } = 100;

    [Range(1, 120_000)]
    public int MaxRetryDelayMilliseconds { get; set; } = 1000;
}
