using Azure;
using Azure.Security.KeyVault.Secrets;
using Hiroi.Shared.Secrets;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Hiroi.Tests.Secrets;

/// <summary>Key Vault cannot run here, so its client is mocked; everything above it is real.</summary>
[Lane(Lanes.Unit)]
public class SecretStoreTests
{
    private readonly Mock<SecretClient> _client = new(MockBehavior.Strict);
    private readonly FakeTimeProvider _time = new();

    private void VaultHas(string vaultName, string value) =>
        _client.Setup(c => c.GetSecretAsync(vaultName, null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Response.FromValue(SecretModelFactory.KeyVaultSecret(new SecretProperties(vaultName), value), Mock.Of<Response>()));

    private void VaultFails(string vaultName, int status) =>
        _client.Setup(c => c.GetSecretAsync(vaultName, null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(status, "vault says no"));

    private CachingSecretStore Cached(ISecretStore inner, int seconds = 300) =>
        new(inner, _time, Options.Create(new SecretOptions { CacheSeconds = seconds }), NullLogger<CachingSecretStore>.Instance);

    [Fact]
    public async Task A_found_secret_is_read_under_its_vault_name()
    {
        VaultHas("EventGrid--WebhookSecret", "s3cret");

        var value = await new KeyVaultSecretStore(_client.Object).GetAsync("EventGrid:WebhookSecret", default);

        Assert.Equal("s3cret", value);
    }

    [Fact]
    public async Task A_missing_secret_is_null()
    {
        VaultFails("Missing", 404);

        Assert.Null(await new KeyVaultSecretStore(_client.Object).GetAsync("Missing", default));
    }

    [Theory]
    [InlineData(403)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task A_vault_fault_is_unavailable_and_does_not_leak_the_value(int status)
    {
        VaultFails("Flaky", status);

        var error = await Assert.ThrowsAsync<SecretStoreUnavailableException>(() => new KeyVaultSecretStore(_client.Object).GetAsync("Flaky", default));

        Assert.Contains("Flaky", error.Message, StringComparison.Ordinal);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Values_are_cached_briefly_then_read_again()
    {
        VaultHas("Name", "v1");
        var store = Cached(new KeyVaultSecretStore(_client.Object), seconds: 300);

        Assert.Equal("v1", await store.GetAsync("Name", default));
        VaultHas("Name", "v2");
        Assert.Equal("v1", await store.GetAsync("Name", default));
        _time.Advance(TimeSpan.FromSeconds(301));
        Assert.Equal("v2", await store.GetAsync("Name", default));

        _client.Verify(c => c.GetSecretAsync("Name", null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Fact]
    public async Task A_transient_fault_serves_the_last_known_value()
    {
        VaultHas("Name", "v1");
        var store = Cached(new KeyVaultSecretStore(_client.Object), seconds: 1);
        Assert.Equal("v1", await store.GetAsync("Name", default));

        VaultFails("Name", 503);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("v1", await store.GetAsync("Name", default));
    }

    [Fact]
    public async Task A_transient_fault_with_nothing_known_is_thrown()
    {
        VaultFails("Name", 503);
        var store = Cached(new KeyVaultSecretStore(_client.Object));

        await Assert.ThrowsAsync<SecretStoreUnavailableException>(() => store.GetAsync("Name", default));
    }

    [Fact]
    public async Task Local_settings_serve_secrets_under_the_Hiroi_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hiroi:EventGrid:WebhookSecret"] = "dev-secret",
            ["Hiroi:Empty"] = "",
        }).Build();
        var store = new ConfigurationSecretStore(configuration);

        Assert.Equal("dev-secret", await store.GetAsync("EventGrid:WebhookSecret", default));
        Assert.Null(await store.GetAsync("Empty", default));
        Assert.Null(await store.GetAsync("Absent", default));
    }
}
