using Hiroi.Shared.Secrets;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Hiroi.Tests.Security;

[Lane(Lanes.Unit)]
public class SecurityServiceCollectionTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton<ISecretStore>(new InMemorySecretStore())
            .AddSecurityPrimitives()
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void The_primitives_resolve_with_their_options()
    {
        using var provider = Build(new()
        {
            ["Hiroi:Acs:CallbackAuth:Audience"] = "resource-id",
            ["Hiroi:Acs:CallbackAuth:OpenIdConfigurationUrl"] = "http://localhost:7071/calling/.well-known/acsopenidconfiguration",
            ["Hiroi:Acs:CallbackAuth:ClockSkewSeconds"] = "30",
        });

        Assert.NotNull(provider.GetRequiredService<RecordingKeyRing>());
        Assert.NotNull(provider.GetRequiredService<CallbackTokenService>());
        Assert.NotNull(provider.GetRequiredService<AcsCallbackJwtValidator>());
        Assert.NotNull(provider.GetRequiredKeyedService<IConfigurationManager<OpenIdConnectConfiguration>>(AcsCallbackJwtValidator.ConfigurationServiceKey));
        var options = provider.GetRequiredService<IOptions<AcsCallbackAuthOptions>>().Value;
        Assert.Equal(("resource-id", 30), (options.Audience, options.ClockSkewSeconds));
    }

    [Fact]
    public void A_bad_configuration_url_is_named_when_options_are_read()
    {
        using var provider = Build(new() { ["Hiroi:Acs:CallbackAuth:OpenIdConfigurationUrl"] = "http://example.com/config" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AcsCallbackAuthOptions>>().Value);

        Assert.Contains("Hiroi__Acs__CallbackAuth__OpenIdConfigurationUrl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_skew_is_refused()
    {
        using var provider = Build(new() { ["Hiroi:Acs:CallbackAuth:ClockSkewSeconds"] = "3600" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AcsCallbackAuthOptions>>().Value);

        Assert.Contains("Hiroi__Acs__CallbackAuth__ClockSkewSeconds", error.Message, StringComparison.Ordinal);
    }
}
