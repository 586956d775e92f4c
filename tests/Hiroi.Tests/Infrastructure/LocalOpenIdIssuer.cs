using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// A local OpenID Connect issuer standing in for Entra ID (which cannot run here), on a loopback port: discovery in
/// Entra's multi-tenant shape (issuer <c>{base}/{tenantid}/v2.0</c>), keys, an authorize endpoint that signs in whoever
/// the test says is next, and a token endpoint that checks the client secret and the PKCE verifier before it issues an
/// RS256 id token carrying the request's nonce.
/// </summary>
public sealed class LocalOpenIdIssuer : IAsyncDisposable
{
    public const string ClientId = "hiroi-console-test";
    public const string ClientSecret = "local-issuer-secret";

    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (IDictionary<string, object> Claims, string Challenge, string Nonce)> _codes = new();
    private WebApplication? _app;

    public int Port { get; } = TestStorage.FreePort();

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The authority Hiroi is configured with (the multi-tenant one, as for Entra's <c>organizations</c>).</summary>
    public string Authority => BaseUrl + "/organizations/v2.0";

    /// <summary>Who the next authorization signs in: tid, oid, email, email_verified, amr...</summary>
    public IDictionary<string, object> Next { get; set; } = new Dictionary<string, object>();

    /// <summary>Token requests that came without the right client secret or PKCE verifier.</summary>
    public int RefusedTokenRequests { get; private set; }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(BaseUrl);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        var signing = new RsaSecurityKey(_key) { KeyId = "local-1" };
        _app.MapGet("/organizations/v2.0/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = BaseUrl + "/{tenantid}/v2.0", ["authorization_endpoint"] = BaseUrl + "/authorize", ["token_endpoint"] = BaseUrl + "/token",
            ["jwks_uri"] = BaseUrl + "/keys", ["response_types_supported"] = new[] { "code" }, ["subject_types_supported"] = new[] { "pairwise" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" }, ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        _app.MapGet("/keys", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = "local-1" });
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", kid = jwk.KeyId, n = jwk.N, e = jwk.E, alg = "RS256" } } });
        });
        _app.MapGet("/authorize", (HttpRequest request) =>
        {
            var q = request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256"
                || string.IsNullOrEmpty(q["nonce"]) || string.IsNullOrEmpty(q["state"]))
            {
                return Results.BadRequest("not an authorization code request with PKCE, state and nonce");
            }

            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (new Dictionary<string, object>(Next), q["code_challenge"].ToString(), q["nonce"].ToString());
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        _app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            if (!_codes.TryRemove(form["code"].ToString(), out var grant) || form["client_secret"] != ClientSecret
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.Challenge)
            {
                RefusedTokenRequests++;
                return Results.BadRequest(new { error = "invalid_grant" });
            }

            var tenant = grant.Claims["tid"].ToString();
            var claims = new Dictionary<string, object>(grant.Claims) { ["nonce"] = grant.Nonce, ["sub"] = grant.Claims["oid"] };
            var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = $"{BaseUrl}/{tenant}/v2.0", Audience = ClientId, Claims = claims, IssuedAt = DateTime.UtcNow, NotBefore = DateTime.UtcNow,
                Expires = DateTime.UtcNow.AddMinutes(5), SigningCredentials = new SigningCredentials(signing, SecurityAlgorithms.RsaSha256),
            });
            return Results.Json(new { id_token = token, access_token = "unused", token_type = "Bearer", expires_in = 300 });
        });
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _key.Dispose();
    }
}
