using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Shared.Security;

/// <summary>
/// Validates the RS256 JWT that ACS Call Automation sends in <c>Authorization: Bearer</c> on mid-call callbacks:
/// issuer <see cref="Issuer"/>, audience <see cref="AcsCallbackAuthOptions.Audience"/> (the ACS resource id), signed by a
/// key from ACS's OpenID configuration, within its lifetime (with <see cref="AcsCallbackAuthOptions.ClockSkewSeconds"/>
/// of skew). Only RS256 is accepted: unsigned (<c>alg: none</c>) and HMAC tokens are rejected, so the public key cannot be
/// used as an HMAC secret.
/// </summary>
public sealed class AcsCallbackJwtValidator
{
    /// <summary>The issuer ACS Call Automation puts in its callback tokens.</summary>
    public const string Issuer = "https://acscallautomation.communication.azure.com";

    /// <summary>The DI service key of the <see cref="IConfigurationManager{T}"/> that supplies ACS's signing keys.</summary>
    public const string ConfigurationServiceKey = "Hiroi:Acs:CallbackAuth";

    private readonly IOptions<AcsCallbackAuthOptions> _options;
    private readonly OpenIdBearerValidator _bearer;

    /// <param name="options">The audience, clock skew (and the configuration URL, used by <see cref="CreateConfigurationManager"/>).</param>
    /// <param name="configuration">The source of ACS's signing keys: <see cref="CreateConfigurationManager"/> in production,
    /// a <see cref="StaticConfigurationManager{T}"/> with test keys in tests.</param>
    /// <param name="time">The clock that lifetimes are checked against.</param>
    /// <param name="logger">Logs why a token was rejected (never the token).</param>
    public AcsCallbackJwtValidator(IOptions<AcsCallbackAuthOptions> options,
        [FromKeyedServices(ConfigurationServiceKey)] IConfigurationManager<OpenIdConnectConfiguration> configuration, TimeProvider time,
        ILogger<AcsCallbackJwtValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _bearer = new OpenIdBearerValidator(configuration, time, logger, "ACS callback");
    }

    /// <summary>
    /// A configuration manager that reads, caches and periodically refreshes the OpenID configuration (and its JWKS) at
    /// <paramref name="openIdConfigurationUrl"/>. https is required, except that a loopback URL (a local simulator) may use
    /// http, and then only loopback addresses may be fetched over http.
    /// </summary>
    /// <param name="openIdConfigurationUrl">Usually <see cref="AcsCallbackAuthOptions.DefaultOpenIdConfigurationUrl"/>.</param>
    /// <param name="httpClient">The client to fetch with; null for the library's default.</param>
    /// <param name="time">The clock refreshes are timed by; null for the system clock.</param>
    public static OpenIdKeySet CreateConfigurationManager(string openIdConfigurationUrl, HttpClient? httpClient = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(openIdConfigurationUrl);
        if (!AcsCallbackAuthOptions.IsAllowedAddress(openIdConfigurationUrl))
        {
            throw new SettingException(AcsCallbackAuthOptions.Section + ":" + nameof(AcsCallbackAuthOptions.OpenIdConfigurationUrl),
                "must be an absolute https URL (http only for localhost)");
        }

        var http = httpClient is null ? new HttpDocumentRetriever() : new HttpDocumentRetriever(httpClient);
        IDocumentRetriever retriever = http;
        if (new Uri(openIdConfigurationUrl).IsLoopback)
        {
            http.RequireHttps = false;
            retriever = new LoopbackHttpDocumentRetriever(http);
        }

        return new OpenIdKeySet(openIdConfigurationUrl, new OpenIdConnectConfigurationRetriever(), retriever, time ?? TimeProvider.System);
    }

    /// <summary>
    /// True only for <c>Bearer {jwt}</c> with a valid ACS callback token. False for a missing or other header and for any
    /// invalid token. Throws <see cref="SettingException"/> when <see cref="AcsCallbackAuthOptions.Audience"/> is not set,
    /// and <see cref="InvalidOperationException"/> when ACS's signing keys have never been obtained (a transient fault:
    /// answer 5xx so ACS retries).
    /// </summary>
    public async Task<bool> ValidateAsync(string? authorizationHeader, CancellationToken cancellationToken)
    {
        var options = _options.Value;
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            throw new SettingException(AcsCallbackAuthOptions.Section + ":" + nameof(AcsCallbackAuthOptions.Audience),
                "must be set to the ACS resource id to accept Call Automation callbacks");
        }

        var requirements = new BearerRequirements([Issuer], options.Audience, TimeSpan.FromSeconds(options.ClockSkewSeconds));
        return await _bearer.ValidateAsync(authorizationHeader, requirements, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Lets a local simulator serve its metadata over http on loopback, and nothing else over http: the JWKS address
    /// inside that metadata must also be https or loopback.
    /// </summary>
    private sealed class LoopbackHttpDocumentRetriever(IDocumentRetriever inner) : IDocumentRetriever
    {
        public Task<string> GetDocumentAsync(string address, CancellationToken cancel) =>
            AcsCallbackAuthOptions.IsAllowedAddress(address)
                ? inner.GetDocumentAsync(address, cancel)
                : throw new ArgumentException("Only https or loopback http addresses may be fetched.", nameof(address));
    }
}
