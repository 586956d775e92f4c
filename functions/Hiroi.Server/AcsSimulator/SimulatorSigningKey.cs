using System.Security.Claims;
using System.Security.Cryptography;
using Hiroi.Shared.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// The simulator's stand-in for ACS's callback signing key: it signs callback JWTs the way ACS does (RS256, ACS's issuer,
/// audience = the configured resource id) and publishes the public key as ACS publishes its OpenID configuration.
/// </summary>
public sealed class SimulatorSigningKey : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly string _keyId = "sim-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public string Token(string audience, DateTimeOffset now) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = AcsCallbackJwtValidator.Issuer,
        Audience = audience,
        IssuedAt = now.UtcDateTime,
        NotBefore = now.UtcDateTime,
        Expires = now.UtcDateTime.AddMinutes(5),
        Subject = new ClaimsIdentity([new Claim("sub", "acs-simulator")]),
        SigningCredentials = new SigningCredentials(new RsaSecurityKey(_rsa) { KeyId = _keyId }, SecurityAlgorithms.RsaSha256),
    });

    public object Jwks()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = _keyId });
        return new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } };
    }

    public void Dispose() => _rsa.Dispose();
}
