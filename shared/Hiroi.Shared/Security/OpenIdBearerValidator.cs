using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Shared.Security;

/// <summary>
/// What a bearer token must satisfy: one of <paramref name="Issuers"/>, exactly <paramref name="Audience"/>, RS256. When
/// <see cref="ClientIds"/> or <see cref="Roles"/> is set, the token must also come from one of those apps (<c>azp</c> or
/// <c>appid</c>) or carry one of those app roles: any app in a tenant can get a token for our audience.
/// </summary>
public sealed record BearerRequirements(IReadOnlyCollection<string> Issuers, string Audience, TimeSpan ClockSkew)
{
    public IReadOnlyCollection<string> ClientIds { get; init; } = [];

    public IReadOnlyCollection<string> Roles { get; init; } = [];

    public bool NamesCallers => ClientIds.Count > 0 || Roles.Count > 0;
}

/// <summary>
/// Validates <c>Authorization: Bearer {jwt}</c> against signing keys from an OpenID configuration: RS256 only (no
/// <c>alg: none</c>, no HMAC with a public key) from RSA keys of at least 2048 bits published for verification, no
/// <c>crit</c> header (we understand no extensions), issuer and exact audience checked, lifetime checked against the
/// injected clock with a small skew, and the calling app or role when the requirements name them. An unknown key id
/// triggers one (rate-limited) metadata refresh, for key rotation. Shared by the ACS callback validator and the Event
/// Grid Entra ID check.
/// </summary>
public sealed class OpenIdBearerValidator(IConfigurationManager<OpenIdConnectConfiguration> configuration, TimeProvider time, ILogger logger, string purpose)
{
    private const int MaxHeaderLength = 16 * 1024;
    private const string BearerPrefix = "Bearer ";
    private const int MinimumRsaBits = 2048;
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>
    /// True only for a valid token. Throws <see cref="InvalidOperationException"/> when the signing keys were never
    /// obtained (a transient fault: answer 5xx so the sender retries).
    /// </summary>
    public async Task<bool> ValidateAsync(string? authorizationHeader, BearerRequirements requirements, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requirements);
        if (authorizationHeader is null || authorizationHeader.Length > MaxHeaderLength
            || !authorizationHeader.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            logger.LogInformation("{Purpose} rejected: no bearer token", purpose);
            return false;
        }

        var token = authorizationHeader[BearerPrefix.Length..].Trim();
        if (token.Length == 0 || token.Contains(' ', StringComparison.Ordinal))
        {
            logger.LogInformation("{Purpose} rejected: malformed bearer token", purpose);
            return false;
        }

        if (HasCriticalHeader(token))
        {
            logger.LogInformation("{Purpose} rejected: crit header", purpose);
            return false;
        }

        var current = await configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        var result = await ValidateAsync(token, current, requirements).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The issuer may have rotated its keys: ask for fresh metadata (rate-limited by the manager) and try once more.
            configuration.RequestRefresh();
            var refreshed = await configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(refreshed, current))
            {
                result = await ValidateAsync(token, refreshed, requirements).ConfigureAwait(false);
            }
        }

        if (!result.IsValid)
        {
            logger.LogInformation("{Purpose} rejected: {Reason}", purpose, result.Exception?.GetType().Name ?? "invalid token");
            return false;
        }

        if (requirements.NamesCallers && !IsNamedCaller(result.SecurityToken as JsonWebToken, requirements))
        {
            logger.LogInformation("{Purpose} rejected: token from an app or role not configured", purpose);
            return false;
        }

        return true;
    }

    private bool HasCriticalHeader(string token)
    {
        try
        {
            return _handler.ReadJsonWebToken(token).TryGetHeaderValue<object>("crit", out _);
        }
        catch (ArgumentException)
        {
            return false; // unreadable: validation refuses it with its own reason
        }
    }

    private static bool IsNamedCaller(JsonWebToken? token, BearerRequirements requirements)
    {
        if (token is null)
        {
            return false;
        }

        var app = token.TryGetPayloadValue<string>("azp", out var azp) ? azp : token.TryGetPayloadValue<string>("appid", out var appId) ? appId : null;
        if (app is not null && requirements.ClientIds.Contains(app, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        return token.Claims.Any(c => c.Type == "roles" && requirements.Roles.Contains(c.Value, StringComparer.Ordinal));
    }

    /// <summary>Keys published for verification: <c>use</c>, when given, is <c>sig</c>; <c>key_ops</c>, when given, has <c>verify</c>.</summary>
    private static IEnumerable<SecurityKey> VerificationKeys(OpenIdConnectConfiguration keys) =>
        keys.SigningKeys.Where(k => k is not JsonWebKey jwk
            || ((string.IsNullOrEmpty(jwk.Use) || jwk.Use == JsonWebKeyUseNames.Sig)
                && (jwk.KeyOps.Count == 0 || jwk.KeyOps.Contains("verify"))));

    /// <summary>Only RSA keys of 2048 bits or more: a shorter modulus can be factored.</summary>
    private static bool IsStrongRsaKey(SecurityKey key, SecurityToken token, TokenValidationParameters parameters) =>
        key switch
        {
            JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.RSA } jwk => jwk.KeySize >= MinimumRsaBits,
            RsaSecurityKey rsa => rsa.KeySize >= MinimumRsaBits,
            X509SecurityKey x509 => x509.PublicKey is System.Security.Cryptography.RSA r && r.KeySize >= MinimumRsaBits,
            _ => false,
        };

    private Task<TokenValidationResult> ValidateAsync(string token, OpenIdConnectConfiguration keys, BearerRequirements requirements) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuers = requirements.Issuers,
            ValidateIssuer = true,
            ValidAudience = requirements.Audience,
            ValidateAudience = true,
            IgnoreTrailingSlashWhenValidatingAudience = false,
            IssuerSigningKeys = VerificationKeys(keys),
            ValidateIssuerSigningKey = true,
            IssuerSigningKeyValidator = IsStrongRsaKey,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = requirements.ClockSkew,
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

        var now = time.GetUtcNow().UtcDateTime;
        return expires.Value >= now - parameters.ClockSkew && (notBefore is null || notBefore.Value <= now + parameters.ClockSkew);
    }
}
