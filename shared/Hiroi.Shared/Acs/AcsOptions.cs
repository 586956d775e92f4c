using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Acs;

/// <summary>
/// Section <c>Hiroi:Acs</c>. The access key is not a setting: it is the secret <see cref="AccessKeySecretName"/>, read
/// through the secret store and never logged.
/// </summary>
public sealed class AcsOptions : IValidatableObject
{
    public const string Section = "Hiroi:Acs";

    /// <summary>Logical name of the ACS access key (base64) in the secret store.</summary>
    public const string AccessKeySecretName = "Acs:AccessKey";

    /// <summary>Entra ID scope of the ACS data plane, for bearer tokens when <see cref="UseEntraId"/> is set.</summary>
    public const string EntraScope = "https://communication.azure.com//.default";

    /// <summary>
    /// The ACS resource, e.g. <c>https://contoso.communication.azure.com</c>. Empty means ACS is not configured: the client
    /// then refuses every operation with a message naming this setting.
    /// </summary>
    public string Endpoint { get; set; } = string.Empty;

    /// <summary>Authenticate with Entra ID bearer tokens (managed identity) instead of HMAC signing with the access key.</summary>
    public bool UseEntraId { get; set; }

    [Required]
    [RegularExpression(ApiVersionPattern, ErrorMessage = "must be an ACS api-version such as 2021-03-07")]
    public string SmsApiVersion { get; set; } = "2021-03-07";

    [Required]
    [RegularExpression(ApiVersionPattern, ErrorMessage = "must be an ACS api-version such as 2023-03-31")]
    public string EmailApiVersion { get; set; } = "2023-03-31";

    [Required]
    [RegularExpression(ApiVersionPattern, ErrorMessage = "must be an ACS api-version such as 2025-05-15")]
    public string CallAutomationApiVersion { get; set; } = "2025-05-15";

    /// <summary>Retries of an idempotent operation after a transient fault (408, 429, 5xx, network error, timeout).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First backoff delay; each retry doubles it (with jitter), and a longer <c>Retry-After</c> wins.</summary>
    [Range(0, 60_000)]
    public int RetryBaseDelayMilliseconds { get; set; } = 500;

    /// <summary>
    /// How long one attempt of a retried operation may take before it is abandoned and sent again (with the same
    /// repeatability id, so a request ACS did receive is not acted on twice): a hung ACS costs this, not HttpClient's 100 s.
    /// </summary>
    [Range(100, 120_000)]
    public int AttemptTimeoutMilliseconds { get; set; } = 30_000;

    private const string ApiVersionPattern = @"^\d{4}-\d{2}-\d{2}(-preview)?$";

    /// <summary>The endpoint as a URI, or null when ACS is not configured (or the setting is invalid).</summary>
    public Uri? EndpointUri =>
        Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Endpoint))
        {
            yield break;
        }

        var uri = EndpointUri;
        if (uri is null || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || uri.AbsolutePath != "/")
        {
            yield return new ValidationResult(
                "must be the absolute https URI of the ACS resource, e.g. https://contoso.communication.azure.com", [nameof(Endpoint)]);
        }
        else if (UseEntraId && uri.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult("must be https when UseEntraId is true (bearer tokens only travel over TLS)", [nameof(Endpoint)]);
        }
    }
}
