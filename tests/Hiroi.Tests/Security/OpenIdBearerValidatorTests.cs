using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Tests.Security;

/// <summary>
/// The four leniencies an outside review found in the token library's defaults (short RSA keys, unknown <c>crit</c>
/// headers, keys not meant for verification, an audience with a trailing slash), and key rotation through the real
/// key set, whose first token with a new key id was refused 6 times out of 7 under the library's background refresh.
/// </summary>
[Lane(Lanes.Unit)]
public class OpenIdBearerValidatorTests : IDisposable
{
    private const string Issuer = "https://issuer.example/";
    private const string Audience = "api://hiroi";
    private static readonly DateTimeOffset Start = new(2031, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly BearerRequirements _requirements = new([Issuer], Audience, TimeSpan.FromMinutes(2));

    public void Dispose() => _rsa.Dispose();

    private static string Token(RSA rsa, string keyId, string audience = Audience, IDictionary<string, object>? header = null, DateTimeOffset? at = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer, Audience = audience, IssuedAt = (at ?? Start).UtcDateTime, NotBefore = (at ?? Start).UtcDateTime, Expires = (at ?? Start).UtcDateTime.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", "caller")]),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = keyId }, SecurityAlgorithms.RsaSha256),
            AdditionalHeaderClaims = header,
        });

    private static JsonWebKey Published(RSA rsa, string keyId) =>
        JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = keyId });

    private Task<bool> ValidateAsync(string token, params JsonWebKey[] keys)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
        foreach (var key in keys)
        {
            configuration.SigningKeys.Add(key);
        }

        var validator = new OpenIdBearerValidator(new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration), _time, NullLogger.Instance, "test");
        return validator.ValidateAsync("Bearer " + token, _requirements, CancellationToken.None);
    }

    [Fact]
    public async Task A_well_formed_token_passes_so_each_refusal_below_is_about_its_one_change()
    {
        Assert.True(await ValidateAsync(Token(_rsa, "k1"), Published(_rsa, "k1")));
    }

    [Fact]
    public async Task An_rsa_key_under_2048_bits_is_refused()
    {
        using var weak = RSA.Create(1024);

        Assert.False(await ValidateAsync(Token(weak, "weak"), Published(weak, "weak")));
    }

    [Fact]
    public async Task A_crit_header_is_refused()
    {
        var token = Token(_rsa, "k1", header: new Dictionary<string, object> { ["crit"] = new[] { "exp-ext" }, ["exp-ext"] = 1 });

        Assert.False(await ValidateAsync(token, Published(_rsa, "k1")));
    }

    [Theory]
    [InlineData("enc", null)]
    [InlineData(null, "sign")]
    [InlineData(null, "encrypt")]
    [InlineData("enc", "verify")]
    public async Task A_key_published_for_something_other_than_verification_is_not_used(string? use, string? keyOp)
    {
        var key = Published(_rsa, "k1");
        key.Use = use;
        if (keyOp is not null)
        {
            key.KeyOps.Add(keyOp);
        }

        Assert.False(await ValidateAsync(Token(_rsa, "k1"), key));
    }

    [Fact]
    public async Task A_key_with_use_sig_and_verify_among_its_ops_is_used()
    {
        var key = Published(_rsa, "k1");
        key.Use = "sig";
        key.KeyOps.Add("verify");

        Assert.True(await ValidateAsync(Token(_rsa, "k1"), key));
    }

    [Theory]
    [InlineData(Audience + "/")]
    [InlineData("API://HIROI")]
    [InlineData("api://hiroi2")]
    public async Task The_audience_must_match_exactly(string audience)
    {
        Assert.False(await ValidateAsync(Token(_rsa, "k1", audience), Published(_rsa, "k1")));
    }

    /// <summary>An issuer's metadata and JWKS over HTTP, whose keys a test can rotate; counts fetches of the JWKS.</summary>
    private sealed class RotatingIssuer : HttpMessageHandler
    {
        public const string MetadataUrl = "https://issuer.example/.well-known/openid-configuration";
        private const string JwksUrl = "https://issuer.example/keys";

        public List<JsonWebKey> Keys { get; } = [];

        public int JwksFetches { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            object body;
            if (request.RequestUri!.ToString() == JwksUrl)
            {
                JwksFetches++;
                body = new { keys = Keys.Select(k => new { kty = "RSA", use = "sig", kid = k.Kid, n = k.N, e = k.E }).ToArray() };
            }
            else
            {
                body = new { issuer = Issuer, jwks_uri = JwksUrl };
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") });
        }
    }

    [Fact]
    public async Task The_first_token_signed_with_a_rotated_in_key_is_accepted_and_made_up_key_ids_fetch_at_most_once_per_interval()
    {
        using var issuer = new RotatingIssuer();
        issuer.Keys.Add(Published(_rsa, "old"));
        using var http = new HttpClient(issuer);
        using var keySet = new OpenIdKeySet(RotatingIssuer.MetadataUrl, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(http), _time);
        var validator = new OpenIdBearerValidator(keySet, _time, NullLogger.Instance, "test");
        Assert.True(await validator.ValidateAsync("Bearer " + Token(_rsa, "old"), _requirements, default));
        Assert.Equal(1, issuer.JwksFetches);

        // The issuer rotates; the very first token with the new kid must pass (the library's own manager refused it).
        using var rotated = RSA.Create(2048);
        issuer.Keys.Add(Published(rotated, "new"));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await validator.ValidateAsync("Bearer " + Token(rotated, "new", at: _time.GetUtcNow()), _requirements, default));
        Assert.Equal(2, issuer.JwksFetches);

        // A flood of tokens naming keys nobody published costs one fetch per interval, not one per token.
        using var stranger = RSA.Create(2048);
        for (var i = 0; i < 50; i++)
        {
            Assert.False(await validator.ValidateAsync("Bearer " + Token(stranger, "made-up-" + i), _requirements, default));
        }

        Assert.Equal(2, issuer.JwksFetches);
        _time.Advance(keySet.MinimumRefreshInterval);
        Assert.False(await validator.ValidateAsync("Bearer " + Token(stranger, "made-up-again"), _requirements, default));
        Assert.Equal(3, issuer.JwksFetches);
    }

    [Fact]
    public async Task A_failed_refresh_keeps_the_keys_already_held()
    {
        using var issuer = new RotatingIssuer();
        issuer.Keys.Add(Published(_rsa, "k1"));
        var failing = new FailingAfterFirst(issuer);
        using var http = new HttpClient(failing);
        using var keySet = new OpenIdKeySet(RotatingIssuer.MetadataUrl, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(http), _time);
        var validator = new OpenIdBearerValidator(keySet, _time, NullLogger.Instance, "test");
        Assert.True(await validator.ValidateAsync("Bearer " + Token(_rsa, "k1"), _requirements, default));

        failing.Failing = true;
        _time.Advance(TimeSpan.FromHours(13)); // a scheduled refresh is due, and fails

        Assert.True(await validator.ValidateAsync("Bearer " + Token(_rsa, "k1", at: _time.GetUtcNow()), _requirements, default));
    }

    private sealed class FailingAfterFirst(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public bool Failing { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Failing ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)) : base.SendAsync(request, cancellationToken);
    }
}
