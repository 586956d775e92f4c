using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Moq;

namespace Hiroi.Tests.Security;

/// <summary>The real ACS cannot run here: tokens are signed by a test RSA key that the in-memory configuration publishes.</summary>
[Lane(Lanes.Unit)]
public class AcsCallbackJwtValidatorTests : IDisposable
{
    private const string Audience = "d5b2a0e6-1a2b-4c3d-9e8f-001122334455";
    // Years from the real clock, so a lifetime check that read the system clock instead of the injected one would fail every test.
    private static readonly DateTimeOffset Start = new(2031, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly RSA _acsRsa = RSA.Create(2048);
    private readonly RSA _otherRsa = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly AcsCallbackAuthOptions _options = new() { Audience = Audience };

    public void Dispose()
    {
        _acsRsa.Dispose();
        _otherRsa.Dispose();
    }

    private RsaSecurityKey AcsKey => new(_acsRsa) { KeyId = "acs-1" };

    /// <summary>What ACS's JWKS would publish: the public half only, as a JSON web key.</summary>
    private static OpenIdConnectConfiguration ConfigurationWith(params (RSA Rsa, string KeyId)[] keys)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = AcsCallbackJwtValidator.Issuer };
        foreach (var (rsa, keyId) in keys)
        {
            configuration.SigningKeys.Add(JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = keyId }));
        }

        return configuration;
    }

    private readonly ReasonLogger _log = new();

    private AcsCallbackJwtValidator Validator(IConfigurationManager<OpenIdConnectConfiguration>? configuration = null) =>
        new(Options.Create(_options), configuration ?? new StaticConfigurationManager<OpenIdConnectConfiguration>(ConfigurationWith((_acsRsa, "acs-1"))),
            _time, _log);

    /// <summary>Keeps the rejection reasons, so each test can show it failed for the reason it is about.</summary>
    private sealed class ReasonLogger : ILogger<AcsCallbackJwtValidator>
    {
        public List<string> Messages { get; } = [];

        public string Last => Messages.Count > 0 ? Messages[^1] : "(nothing logged)";

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }

    private string Token(SecurityKey? key = null, string algorithm = SecurityAlgorithms.RsaSha256, string issuer = AcsCallbackJwtValidator.Issuer,
        string audience = Audience, TimeSpan? expiresIn = null, TimeSpan? notBeforeIn = null, bool withExpiry = true)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now + (notBeforeIn ?? TimeSpan.Zero),
            Expires = withExpiry ? now + (expiresIn ?? TimeSpan.FromMinutes(5)) : null,
            Subject = new ClaimsIdentity([new Claim("sub", "acs")]),
            SigningCredentials = new SigningCredentials(key ?? AcsKey, algorithm),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private Task<bool> ValidateAsync(string? header, AcsCallbackJwtValidator? validator = null) =>
        (validator ?? Validator()).ValidateAsync(header, CancellationToken.None);

    [Fact]
    public async Task A_token_signed_by_the_acs_key_passes()
    {
        Assert.True(await ValidateAsync("Bearer " + Token()));
    }

    [Fact]
    public async Task The_scheme_is_case_insensitive()
    {
        Assert.True(await ValidateAsync("bearer " + Token()));
    }

    [Fact]
    public async Task The_wrong_issuer_fails()
    {
        Assert.False(await ValidateAsync("Bearer " + Token(issuer: "https://login.microsoftonline.com/common/v2.0")));
        Assert.False(await ValidateAsync("Bearer " + Token(issuer: AcsCallbackJwtValidator.Issuer + "/")));
        Assert.All(_log.Messages, m => Assert.Contains("InvalidIssuer", m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_wrong_audience_fails()
    {
        Assert.False(await ValidateAsync("Bearer " + Token(audience: "00000000-0000-0000-0000-000000000000")));
        Assert.Contains("InvalidAudience", _log.Last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_token_passes_within_the_skew_and_fails_beyond_it()
    {
        var token = Token(expiresIn: TimeSpan.FromMinutes(5));

        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(119));
        Assert.True(await ValidateAsync("Bearer " + token));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(await ValidateAsync("Bearer " + token));
        Assert.Contains("Lifetime", _log.Last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_not_yet_valid_token_passes_within_the_skew_and_fails_beyond_it()
    {
        Assert.True(await ValidateAsync("Bearer " + Token(notBeforeIn: TimeSpan.FromSeconds(119))));
        Assert.False(await ValidateAsync("Bearer " + Token(notBeforeIn: TimeSpan.FromSeconds(121))));
        Assert.Contains("Lifetime", _log.Last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_skew_is_configurable()
    {
        _options.ClockSkewSeconds = 0;
        var token = Token(expiresIn: TimeSpan.FromMinutes(5));

        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        Assert.False(await ValidateAsync("Bearer " + token));
    }

    [Fact]
    public async Task A_token_without_expiry_fails()
    {
        Assert.False(await ValidateAsync("Bearer " + Token(withExpiry: false)));
        Assert.Contains("Lifetime", _log.Last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_by_another_key_fails()
    {
        Assert.False(await ValidateAsync("Bearer " + Token(new RsaSecurityKey(_otherRsa) { KeyId = "acs-1" })));
        Assert.False(await ValidateAsync("Bearer " + Token(new RsaSecurityKey(_otherRsa) { KeyId = "other" })));
        Assert.False(await ValidateAsync("Bearer " + Token(new RsaSecurityKey(_otherRsa))));
        Assert.All(_log.Messages, m => Assert.Contains("Signature", m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unsigned_token_fails()
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = AcsCallbackJwtValidator.Issuer,
            Audience = Audience,
            Expires = _time.GetUtcNow().UtcDateTime.AddMinutes(5),
            NotBefore = _time.GetUtcNow().UtcDateTime,
        };
        var unsigned = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
        Assert.Contains("\"none\"", Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(unsigned.Split('.')[0])), StringComparison.Ordinal);

        Assert.False(await ValidateAsync("Bearer " + unsigned));
        Assert.False(await ValidateAsync("Bearer " + HandMade("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"acs-1\"}", Token(), signature: "")));
        Assert.False(await ValidateAsync("Bearer " + HandMade("{\"alg\":\"None\",\"kid\":\"acs-1\"}", Token(), signature: "")));
        Assert.All(_log.Messages, m => Assert.Contains("InvalidSignature", m, StringComparison.Ordinal));
    }

    /// <summary>A token with the given header, another token's payload and a given signature.</summary>
    private static string HandMade(string headerJson, string payloadFrom, string signature) =>
        $"{Base64UrlEncoder.Encode(headerJson)}.{payloadFrom.Split('.')[1]}.{signature}";

    [Fact]
    public async Task An_hs256_token_keyed_with_the_public_key_fails()
    {
        var publicDer = _acsRsa.ExportSubjectPublicKeyInfo();
        var publicPem = Encoding.ASCII.GetBytes(_acsRsa.ExportSubjectPublicKeyInfoPem());
        var modulus = _acsRsa.ExportParameters(false).Modulus!;

        foreach (var secret in new[] { publicDer, publicPem, modulus })
        {
            var hmacKey = new SymmetricSecurityKey(secret) { KeyId = "acs-1" };
            Assert.False(await ValidateAsync("Bearer " + Token(hmacKey, SecurityAlgorithms.HmacSha256)));
        }

        // And the same by hand, so no library default can mask it: header alg HS256, MAC over header.payload.
        var payload = Token().Split('.')[1];
        var header = Base64UrlEncoder.Encode("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"acs-1\"}");
        var mac = HMACSHA256.HashData(publicPem, Encoding.ASCII.GetBytes(header + "." + payload));
        Assert.False(await ValidateAsync($"Bearer {header}.{payload}.{Base64UrlEncoder.Encode(mac)}"));
        Assert.All(_log.Messages, m => Assert.Contains("InvalidSignature", m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Other_rsa_algorithms_are_refused_even_with_the_right_key()
    {
        Assert.False(await ValidateAsync("Bearer " + Token(algorithm: SecurityAlgorithms.RsaSha512)));
        Assert.False(await ValidateAsync("Bearer " + Token(algorithm: SecurityAlgorithms.RsaSsaPssSha256)));
        Assert.All(_log.Messages, m => Assert.Contains("InvalidSignature", m, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer    ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer garbage")]
    [InlineData("Bearer a.b.c")]
    [InlineData("Bearer eyJhbGciOiJSUzI1NiJ9.e30.")]
    [InlineData("Bearer ....")]
    [InlineData("Bearer \u00e9\u00e9\u00e9")]
    public async Task Missing_other_or_garbage_headers_fail(string? header)
    {
        Assert.False(await ValidateAsync(header));
    }

    [Fact]
    public async Task Malformed_wrappings_of_a_good_token_fail()
    {
        var token = Token();

        Assert.False(await ValidateAsync(token));
        Assert.False(await ValidateAsync("Basic " + token));
        Assert.False(await ValidateAsync("Bearer " + token + " extra"));
        Assert.False(await ValidateAsync("Bearer " + token + "x"));
        Assert.False(await ValidateAsync("Bearer " + new string('a', 100_000)));
    }

    [Fact]
    public async Task A_missing_audience_setting_is_a_clear_error()
    {
        _options.Audience = null;

        var error = await Assert.ThrowsAsync<SettingException>(() => ValidateAsync("Bearer " + Token()));

        Assert.Equal("Hiroi__Acs__CallbackAuth__Audience", error.Key);
    }

    [Fact]
    public async Task Rotated_acs_keys_are_fetched_once_when_a_token_names_an_unknown_key()
    {
        var configuration = new Mock<IConfigurationManager<OpenIdConnectConfiguration>>(MockBehavior.Strict);
        configuration.SetupSequence(c => c.GetConfigurationAsync(It.IsAny<CancellationToken>()))
            .ReturnsAsync(ConfigurationWith((_acsRsa, "acs-1")))
            .ReturnsAsync(ConfigurationWith((_acsRsa, "acs-1"), (_otherRsa, "acs-2")));
        configuration.Setup(c => c.RequestRefresh());

        Assert.True(await ValidateAsync("Bearer " + Token(new RsaSecurityKey(_otherRsa) { KeyId = "acs-2" }), Validator(configuration.Object)));
        configuration.Verify(c => c.RequestRefresh(), Times.Once);
    }

    [Fact]
    public async Task A_known_key_with_a_bad_signature_does_not_trigger_a_refresh()
    {
        var configuration = new Mock<IConfigurationManager<OpenIdConnectConfiguration>>(MockBehavior.Strict);
        configuration.Setup(c => c.GetConfigurationAsync(It.IsAny<CancellationToken>())).ReturnsAsync(ConfigurationWith((_acsRsa, "acs-1")));
        var token = Token().Split('.');

        Assert.False(await ValidateAsync($"Bearer {token[0]}.{token[1]}.{Base64UrlEncoder.Encode(new byte[256])}", Validator(configuration.Object)));
    }

    [Theory]
    [InlineData("http://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration")]
    [InlineData("http://10.0.0.5:5000/.well-known/openid-configuration")]
    [InlineData("ftp://localhost/x")]
    [InlineData("not a url")]
    public void Plain_http_to_a_remote_host_is_refused(string url)
    {
        Assert.Throws<SettingException>(() => AcsCallbackJwtValidator.CreateConfigurationManager(url));
        Assert.False(new SectionValidator<AcsCallbackAuthOptions>(AcsCallbackAuthOptions.Section)
            .Validate(null, new AcsCallbackAuthOptions { OpenIdConfigurationUrl = url }).Succeeded);
    }

    [Theory]
    [InlineData(AcsCallbackAuthOptions.DefaultOpenIdConfigurationUrl)]
    [InlineData("http://localhost:7071/calling/.well-known/acsopenidconfiguration")]
    [InlineData("http://127.0.0.1:7071/x")]
    [InlineData("http://[::1]:7071/x")]
    public void Https_or_loopback_http_is_allowed(string url)
    {
        Assert.NotNull(AcsCallbackJwtValidator.CreateConfigurationManager(url));
        Assert.True(new SectionValidator<AcsCallbackAuthOptions>(AcsCallbackAuthOptions.Section)
            .Validate(null, new AcsCallbackAuthOptions { OpenIdConfigurationUrl = url }).Succeeded);
    }

    [Fact]
    public void The_options_have_the_documented_defaults()
    {
        var options = new AcsCallbackAuthOptions();

        Assert.Equal("https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration", options.OpenIdConfigurationUrl);
        Assert.Equal(120, options.ClockSkewSeconds);
        Assert.Null(options.Audience);
    }

    /// <summary>Serves an OpenID configuration and its JWKS as a simulator would.</summary>
    private sealed class MetadataHandler(string jwksUri, RSA rsa) : HttpMessageHandler
    {
        public List<string> Requested { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!.ToString();
            Requested.Add(uri);
            var parameters = rsa.ExportParameters(false);
            object body = uri == jwksUri
                ? new
                {
                    keys = new[]
                    {
                        new
                        {
                            kty = "RSA", use = "sig", alg = "RS256", kid = "acs-1",
                            n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent),
                        },
                    },
                }
                : new { issuer = AcsCallbackJwtValidator.Issuer, jwks_uri = jwksUri };
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") });
        }
    }

    [Fact]
    public async Task A_loopback_simulator_over_http_supplies_the_keys()
    {
        using var handler = new MetadataHandler("http://127.0.0.1:7999/keys", _acsRsa);
        using var client = new HttpClient(handler);
        var manager = AcsCallbackJwtValidator.CreateConfigurationManager("http://localhost:7999/calling/.well-known/acsopenidconfiguration", client);

        Assert.True(await ValidateAsync("Bearer " + Token(), Validator(manager)));
        Assert.Equal(["http://localhost:7999/calling/.well-known/acsopenidconfiguration", "http://127.0.0.1:7999/keys"], handler.Requested);
    }

    [Fact]
    public async Task A_loopback_simulator_cannot_point_at_remote_keys_over_http()
    {
        using var handler = new MetadataHandler("http://keys.example.com/keys", _acsRsa);
        using var client = new HttpClient(handler);
        var manager = AcsCallbackJwtValidator.CreateConfigurationManager("http://localhost:7999/calling/.well-known/acsopenidconfiguration", client);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => ValidateAsync("Bearer " + Token(), Validator(manager)));
        Assert.DoesNotContain("http://keys.example.com/keys", handler.Requested);
    }

    [Fact]
    public async Task Https_metadata_may_not_point_at_http_keys()
    {
        using var handler = new MetadataHandler("http://127.0.0.1:7999/keys", _acsRsa);
        using var client = new HttpClient(handler);
        var manager = AcsCallbackJwtValidator.CreateConfigurationManager(AcsCallbackAuthOptions.DefaultOpenIdConfigurationUrl, client);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => ValidateAsync("Bearer " + Token(), Validator(manager)));
        Assert.DoesNotContain("http://127.0.0.1:7999/keys", handler.Requested);
    }
}
