using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Shared.Security;

/// <summary>What a bearer token must satisfy: one of <paramref name="Issuers"/>, <paramref name="Audience"/>, RS256.</summary>
public sealed record BearerRequirements(IReadOnlyCollection<string> Issuers, string Audience, TimeSpan ClockSkew);

/// <summary>
/// Validates <c>Authorization: Bearer {jwt}</c> against signing keys from an OpenID configuration: RS256 only (no
/// <c>alg: none</c>, no HMAC with a public key), issuer and audience checked, lifetime checked against the injected clock
/// with a small skew. An unknown key id triggers one (rate-limited) metadata refresh, for key rotation. Shared by the ACS
/// callback validator and the Event Grid Entra ID check.
/// </summary>
public sealed class OpenIdBearerValidator(IConfigurationManager<OpenIdConnectConfiguration> configuration, TimeProvider time, ILogger logger, string purpose)
{
    private const int MaxHeaderLength = 16 * 1024;
    private const string BearerPrefix = "Bearer ";
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
        }

        return result.IsValid;
    }

    private Task<TokenValidationResult> ValidateAsync(string token, OpenIdConnectConfiguration keys, BearerRequirements requirements) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuers = requirements.Issuers,
            ValidateIssuer = true,
            ValidAudience = requirements.Audience,
            ValidateAudience = true,
            IssuerSigningKeys = keys.SigningKeys,
            ValidateIssuerSigningKey = true,
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
