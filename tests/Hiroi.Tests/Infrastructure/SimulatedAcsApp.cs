using System.Security.Cryptography;
using Hiroi.Shared.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The whole loop with nothing mocked but the network edge: the real ACS REST client signs requests to the ACS simulator,
/// which posts events back to the webhook and signed callbacks to the call's callback URI, all in one in-memory server.
/// </summary>
public class SimulatedAcsApp : HiroiApp
{
    public const string AccessKey = "c2ltdWxhdG9yLWFjY2Vzcy1rZXktZm9yLXRlc3RzLW9ubHk=";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:AcsSimulator:Enabled", "true");
        builder.UseSetting("Hiroi:AcsSimulator:WebhookUrl", "http://localhost/api/eventgrid/acs");
        builder.UseSetting("Hiroi:AcsSimulator:EventDelayMilliseconds", "50");
        builder.UseSetting("Hiroi:AcsSimulator:CallDurationMilliseconds", "1000");
        builder.UseSetting("Hiroi:Acs:Endpoint", "http://localhost");
        builder.UseSetting("Hiroi:Acs:AccessKey", AccessKey);
        builder.UseSetting("Hiroi:Acs:CallbackAuth:Audience", "hiroi-test-acs");
        builder.UseSetting("Hiroi:Acs:CallbackAuth:OpenIdConfigurationUrl", "http://localhost/calling/.well-known/acsopenidconfiguration");
        builder.UseSetting("Hiroi:EventGrid:WebhookSecret", "loop-secret");
        builder.UseSetting("Hiroi:Calls:CallbackSigningKeys", "c1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        builder.UseSetting("Hiroi:Recordings:KeyEncryptionKeys", "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        builder.UseSetting("Hiroi:Calls:PublicBaseUrl", "http://localhost");
        builder.ConfigureTestServices(services =>
        {
            // Every outgoing HTTP call (ACS client, simulator) lands on this in-memory server.
            services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(OutgoingHandler));
            services.AddKeyedSingleton<IConfigurationManager<OpenIdConnectConfiguration>>(AcsCallbackJwtValidator.ConfigurationServiceKey,
                (_, _) => AcsCallbackJwtValidator.CreateConfigurationManager("http://localhost/calling/.well-known/acsopenidconfiguration", Server.CreateClient()));
        });
    }

    /// <summary>Where outgoing HTTP calls go: the in-memory server (a fixture on a real socket sends them over loopback).</summary>
    protected virtual HttpMessageHandler OutgoingHandler() => Server.CreateHandler();
}
