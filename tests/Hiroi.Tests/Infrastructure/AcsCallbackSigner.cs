using System.Security.Claims;
using System.Security.Cryptography;
using Hiroi.Shared.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// Stands in for ACS's callback signing key (ACS's OpenID configuration cannot be fetched here): signs Call Automation
/// JWTs as ACS does, and makes a host trust its key.
/// </summary>
public sealed class AcsCallbackSigner : IDisposable
{
    public const string ResourceId = "00000000-0000-0000-0000-0000000000ac";
    private readonly RSA _key = RSA.Create(2048);

    /// <summary>A Call Automation JWT as ACS would sign it (with this test key, or <paramref name="key"/>).</summary>
    public string Jwt(string audience = ResourceId, RSA? key = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AcsCallbackJwtValidator.Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            Subject = new ClaimsIdentity([new Claim("sub", "acs")]),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? _key) { KeyId = "acs-test" }, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>Makes the host's callback validator trust this key.</summary>
    public void TrustIn(IServiceCollection services)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = AcsCallbackJwtValidator.Issuer };
        configuration.SigningKeys.Add(JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = "acs-test" }));
        services.RemoveAllKeyed<IConfigurationManager<OpenIdConnectConfiguration>>(AcsCallbackJwtValidator.ConfigurationServiceKey);
        services.AddKeyedSingleton<IConfigurationManager<OpenIdConnectConfiguration>>(AcsCallbackJwtValidator.ConfigurationServiceKey,
            new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration));
    }

    public void Dispose() => _key.Dispose();
}
