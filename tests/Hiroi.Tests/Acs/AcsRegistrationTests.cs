using System.Net;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Secrets;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Hiroi.Tests.Acs;

[Lane(Lanes.Unit)]
public class AcsRegistrationTests
{
    private const string Key = "aGlyb2ktdGVzdC1hY2Nlc3Mta2V5LTAxMjM0NTY3ODk=";

    private static ServiceProvider Services(Dictionary<string, string?> settings, ScriptedAcs? acs = null)
    {
        var secrets = new Mock<ISecretStore>();
        secrets.Setup(s => s.GetAsync(AcsOptions.AccessKeySecretName, It.IsAny<CancellationToken>())).ReturnsAsync(Key);
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddSingleton(secrets.Object)
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddAcsClient();
        if (acs is not null)
        {
            services.AddHttpClient(nameof(IAcsClient)).ConfigurePrimaryHttpMessageHandler(() => acs);
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void Defaults_match_the_documented_api_versions()
    {
        var options = new AcsOptions();

        Assert.Equal("2021-03-07", options.SmsApiVersion);
        Assert.Equal("2025-05-15", options.CallAutomationApiVersion);
        Assert.Equal(3, options.MaxRetries);
        Assert.False(options.UseEntraId);
        Assert.Null(options.EndpointUri);
    }

    [Fact]
    public async Task The_registered_client_signs_with_the_secret_and_targets_the_endpoint()
    {
        var acs = new ScriptedAcs().Respond(HttpStatusCode.NoContent);
        using var provider = Services(new() { ["Hiroi:Acs:Endpoint"] = "https://contoso.communication.azure.com" }, acs);

        await provider.GetRequiredService<IAcsClient>().HangUpAsync("c-1", default);

        var request = Assert.Single(acs.Requests);
        Assert.Equal("contoso.communication.azure.com", request.Uri.Host);
        Assert.True(AcsHmac.Verify(
            "POST", request.Uri.PathAndQuery, "contoso.communication.azure.com", request.Header("x-ms-date"),
            request.Header("x-ms-content-sha256"), request.Header("Authorization"), request.Body, Key));
    }

    [Fact]
    public void An_empty_endpoint_is_valid_and_means_not_configured()
    {
        using var provider = Services([]);

        Assert.Null(provider.GetRequiredService<IOptions<AcsOptions>>().Value.EndpointUri);
        Assert.NotNull(provider.GetRequiredService<IAcsClient>());
    }

    [Theory]
    [InlineData("Hiroi:Acs:Endpoint", "contoso.communication.azure.com", "Hiroi__Acs__Endpoint")]
    [InlineData("Hiroi:Acs:Endpoint", "ftp://contoso.communication.azure.com", "Hiroi__Acs__Endpoint")]
    [InlineData("Hiroi:Acs:Endpoint", "https://contoso.communication.azure.com/sms?x=1", "Hiroi__Acs__Endpoint")]
    [InlineData("Hiroi:Acs:MaxRetries", "11", "Hiroi__Acs__MaxRetries")]
    [InlineData("Hiroi:Acs:SmsApiVersion", "latest", "Hiroi__Acs__SmsApiVersion")]
    [InlineData("Hiroi:Acs:RetryBaseDelayMilliseconds", "-1", "Hiroi__Acs__RetryBaseDelayMilliseconds")]
    public void A_bad_setting_is_named(string key, string value, string named)
    {
        using var provider = Services(new() { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AcsOptions>>().Value);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entra_ID_needs_an_https_endpoint()
    {
        using var provider = Services(new() { ["Hiroi:Acs:Endpoint"] = "http://localhost:5099", ["Hiroi:Acs:UseEntraId"] = "true" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AcsOptions>>().Value);

        Assert.Contains("Hiroi__Acs__Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_local_simulator_over_http_is_allowed_with_HMAC()
    {
        using var provider = Services(new() { ["Hiroi:Acs:Endpoint"] = "http://localhost:5099" });

        Assert.Equal(new Uri("http://localhost:5099/"), provider.GetRequiredService<IOptions<AcsOptions>>().Value.EndpointUri);
    }
}
