using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
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

    private const int MaxHeaderLength = 16 * 1024;
    private const string BearerPrefix = "Bearer ";

    private readonly IOptions<AcsCallbackAuthOptions> _options;
    private readonly IConfigurationManager<OpenIdConnectConfiguration> _configuration;
    private readonly TimeProvider _time;
    private readonly ILogger<AcsCallbackJwtValidator> _logger;
    private readonly JsonWebTokenHandler _handler = new();

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
        (_options, _configuration, _time, _logger) = (options, configuration, time, logger);
    }

    /// <summary>
    /// A configuration manager that reads, caches and periodically refreshes the OpenID configuration (and its JWKS) at
    /// <paramref name="openIdConfigurationUrl"/>. https is required, except that a loopback URL (a local simulator) may use
    /// http, and then only loopback addresses may be fetched over http.
    /// </summary>
    /// <param name="openIdConfigurationUrl">Usually <see cref="AcsCallbackAuthOptions.DefaultOpenIdConfigurationUrl"/>.</param>
    /// <param name="httpClient">The client to fetch with; null for the library's default.</param>
    public static ConfigurationManager<OpenIdConnectConfiguration> CreateConfigurationManager(string openIdConfigurationUrl, HttpClient? httpClient = null)
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

        return new ConfigurationManager<OpenIdConnectConfiguration>(openIdConfigurationUrl, new OpenIdConnectConfigurationRetriever(), retriever);
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

        if (authorizationHeader is null || authorizationHeader.Length > MaxHeaderLength
            || !authorizationHeader.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            _logger.LogInformation("ACS callback rejected: no bearer token");
            return false;
        }

        var token = authorizationHeader[BearerPrefix.Length..].Trim();
        if (token.Length == 0 || token.Contains(' ', StringComparison.Ordinal))
        {
            _logger.LogInformation("ACS callback rejected: malformed bearer token");
            return false;
        }

        var configuration = await _configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        var result = await ValidateAsync(token, configuration, options).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // ACS may have rotated its keys: ask for fresh metadata (rate-limited by the manager) and try once more.
            _configuration.RequestRefresh();
            var refreshed = await _configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(refreshed, configuration))
            {
                result = await ValidateAsync(token, refreshed, options).ConfigureAwait(false);
            }
        }

        if (!result.IsValid)
        {
            _logger.LogInformation("ACS callback rejected: {Reason}", result.Exception?.GetType().Name ?? "invalid token");
        }

        return result.IsValid;
    }

    private Task<TokenValidationResult> ValidateAsync(string token, OpenIdConnectConfiguration configuration, AcsCallbackAuthOptions options) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidateIssuer = true,
            ValidAudience = options.Audience,
            ValidateAudience = true,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
            LifetimeValidator = IsWithinLifetime,
        });

    /// <summary>
    /// The library's lifetime rule (expired when <c>exp</c> &lt; now - skew, not yet valid when <c>nbf</c> &gt; now + skew,
    /// <c>exp</c> required) against the injected clock; the library would read the system clock.
    /// </summary>
    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        if (expires is null || (notBefore is not null && notBefore > expires))
        {
            return false;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        return expires.Value >= now - parameters.ClockSkew && (notBefore is null || notBefore.Value <= now + parameters.ClockSkew);
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
