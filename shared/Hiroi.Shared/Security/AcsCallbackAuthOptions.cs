using System.ComponentModel.DataAnnotations;
using Hiroi.Shared.Configuration;

namespace Hiroi.Shared.Security;

/// <summary>Section <c>Hiroi:Acs:CallbackAuth</c>: how ACS Call Automation's callback JWTs are validated.</summary>
public sealed class AcsCallbackAuthOptions : IValidatableObject
{
    public const string Section = "Hiroi:Acs:CallbackAuth";

    /// <summary>ACS Call Automation's published OpenID configuration, whose JWKS holds the callback signing keys.</summary>
    public const string DefaultOpenIdConfigurationUrl = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration";

    /// <summary>
    /// The expected <c>aud</c>: the ACS resource's immutable resource id. Not required at startup (a host without ACS
    /// still starts), but validating a callback without it throws <see cref="SettingException"/>.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Where the OpenID configuration is read from. Must be https; plain http is allowed only for a loopback host
    /// (a local simulator).
    /// </summary>
    [Required]
    public string OpenIdConfigurationUrl { get; set; } = DefaultOpenIdConfigurationUrl;

    /// <summary>Tolerance for clock differences when checking <c>exp</c> and <c>nbf</c>.</summary>
    [Range(0, 600)]
    public int ClockSkewSeconds { get; set; } = 120;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(OpenIdConfigurationUrl) && !IsAllowedAddress(OpenIdConfigurationUrl))
        {
            yield return new ValidationResult("must be an absolute https URL (http only for localhost)", [nameof(OpenIdConfigurationUrl)]);
        }
    }

    /// <summary>https anywhere, http only on a loopback host.</summary>
    internal static bool IsAllowedAddress(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));
}
