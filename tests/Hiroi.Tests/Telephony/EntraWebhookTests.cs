using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using Hiroi.Endpoints.Telephony;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Tests.Telephony;

/// <summary>The webhook with Entra ID authentication configured; Entra itself is replaced by a test signing key.</summary>
public sealed class EntraWebhookApp : HiroiApp
{
    public const string Tenant = "11111111-2222-3333-4444-555555555555";
    public const string Audience = "api://hiroi-webhook";

    public RSA EntraKey { get; } = RSA.Create(2048);

    /// <summary>A token as Entra issues it to Event Grid's app (v2: <c>azp</c>); <paramref name="claims"/> replace that.</summary>
    public string Token(string issuer = $"https://login.microsoftonline.com/{Tenant}/v2.0", string audience = Audience, RSA? key = null, Claim[]? claims = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer, Audience = audience, IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", "eventgrid"), .. claims ?? [new Claim("azp", EventGridEntraOptions.EventGridAppId)]]),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? EntraKey) { KeyId = "entra-test" }, SecurityAlgorithms.RsaSha256),
        });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:EventGrid:WebhookSecret", "entra-app-secret");
        builder.UseSetting("Hiroi:EventGrid:Entra:TenantId", Tenant);
        builder.UseSetting("Hiroi:EventGrid:Entra:Audience", Audience);
        var configuration = new OpenIdConnectConfiguration();
        configuration.SigningKeys.Add(JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(EntraKey.ExportParameters(false)) { KeyId = "entra-test" }));
        builder.ConfigureTestServices(services => services.AddKeyedSingleton<IConfigurationManager<OpenIdConnectConfiguration>>(
            EventGridEntraValidator.ConfigurationServiceKey, new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration)));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        EntraKey.Dispose();
    }
}

public class EntraWebhookTests(EntraWebhookApp app) : IClassFixture<EntraWebhookApp>
{
    private async Task<HttpStatusCode> ValidateWithAsync(string? bearer, string? secret = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/eventgrid/acs") { Content = TelephonyApp.Json(AcsEvents.ValidationEvent("code-1")) };
        request.Headers.Add("aeg-event-type", "SubscriptionValidation");
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (secret is not null)
        {
            request.Headers.Add(WebhookAuthenticator.HeaderName, secret);
        }

        return (await app.CreateClient().SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task A_valid_entra_token_authenticates_a_delivery_in_either_issuer_form()
    {
        Assert.Equal(HttpStatusCode.OK, await ValidateWithAsync(app.Token()));
        Assert.Equal(HttpStatusCode.OK, await ValidateWithAsync(app.Token(issuer: $"https://sts.windows.net/{EntraWebhookApp.Tenant}/")));
    }

    [Fact]
    public async Task Tokens_for_another_audience_tenant_or_key_are_refused()
    {
        using var other = RSA.Create(2048);

        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(app.Token(audience: "api://someone-else")));
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(app.Token(issuer: "https://login.microsoftonline.com/another-tenant/v2.0")));
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(app.Token(key: other)));
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync("not.a.jwt"));
    }

    [Fact]
    public async Task A_token_for_our_audience_from_another_app_without_the_role_is_refused()
    {
        // Any app in the tenant can get a token for our audience; only Event Grid's app, or one holding the role, may deliver.
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(app.Token(claims: [new Claim("azp", Guid.NewGuid().ToString())])));
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(app.Token(claims: [])));
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(app.Token(claims: [new Claim("roles", "SomethingElse")])));

        Assert.Equal(HttpStatusCode.OK, await ValidateWithAsync(app.Token(claims: [new Claim("appid", EventGridEntraOptions.EventGridAppId)])));
        Assert.Equal(HttpStatusCode.OK, await ValidateWithAsync(app.Token(claims:
            [new Claim("azp", Guid.NewGuid().ToString()), new Claim("roles", "AzureEventGridSecureWebhookSubscriber")])));
    }

    [Fact]
    public void Configured_client_ids_are_added_beside_event_grids_own()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ClientIds:0"] = "11111111-0000-0000-0000-000000000001" }).Build();
        var options = new EventGridEntraOptions();

        configuration.Bind(options);

        Assert.Equal([EventGridEntraOptions.EventGridAppId, "11111111-0000-0000-0000-000000000001"], options.ClientIds);
    }

    [Fact]
    public async Task An_audience_with_a_trailing_slash_is_not_ours()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(app.Token(audience: EntraWebhookApp.Audience + "/")));
    }

    [Fact]
    public async Task The_shared_secret_still_works_alongside_entra()
    {
        Assert.Equal(HttpStatusCode.OK, await ValidateWithAsync(bearer: null, secret: "entra-app-secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateWithAsync(bearer: null, secret: "wrong"));
    }
}
