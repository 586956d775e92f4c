using Azure.Data.Tables;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Configuration;

public class SettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hiroi-settings").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteSettings(string json)
    {
        var path = Path.Combine(_dir, LocalSettingsConfiguration.FileName);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Local_settings_values_use_the_functions_naming()
    {
        var path = WriteSettings("""
            { "IsEncrypted": false,
              "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "Hiroi__ApiKeys__CacheSeconds": "42", "Flag": true },
              "ConnectionStrings": { "Redis": "localhost:6379" } }
            """);

        var values = LocalSettingsConfiguration.Read(path);

        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        Assert.Equal("42", values["Hiroi:ApiKeys:CacheSeconds"]);
        Assert.Equal("true", values["Flag"]);
        Assert.Equal("localhost:6379", values["ConnectionStrings:Redis"]);
    }

    [Fact]
    public void Environment_variables_override_the_local_settings_file()
    {
        WriteSettings("""{ "Values": { "Hiroi__Storage__Prefix": "fromfile", "Hiroi__Only__InFile": "yes" } }""");
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(_dir, "appsettings.json"), optional: true)
            .AddInMemoryCollection([]) // stands where environment variables would be read
            .AddEnvironmentVariables("HIROI_TEST_NOTHING_")
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Hiroi:Storage:Prefix"] = "fromenv" });

        builder.AddLocalSettings(_dir);
        var configuration = builder.Build();

        Assert.Equal("fromenv", configuration["Hiroi:Storage:Prefix"]);
        Assert.Equal("yes", configuration["Hiroi:Only:InFile"]);
    }

    [Fact]
    public void A_broken_settings_file_is_a_clear_error()
    {
        var path = WriteSettings("{ \"Values\": { ");

        var error = Assert.Throws<SettingException>(() => LocalSettingsConfiguration.Read(path));

        Assert.Contains(LocalSettingsConfiguration.FileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_storage_names_the_setting()
    {
        var configuration = new ConfigurationBuilder().Build();

        var error = Assert.Throws<SettingException>(() => StorageAccount.FromConfiguration(configuration));

        Assert.Equal("AzureWebJobsStorage", error.Key);
        Assert.Contains("AzureWebJobsStorage__accountName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_identity_based_form_points_at_the_account_endpoints()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:accountName"] = "sthiroi",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://queues.example.net",
        }).Build();

        var account = StorageAccount.FromConfiguration(configuration);

        Assert.Equal(new Uri("https://sthiroi.table.core.windows.net"), account.CreateTableServiceClient().Uri);
        Assert.Equal(new Uri("https://sthiroi.blob.core.windows.net"), account.CreateBlobServiceClient().Uri);
        Assert.Equal(new Uri("https://queues.example.net"), account.Create(_ => null!, (_, queue, _, _) => queue));
    }

    [Fact]
    public void A_bad_service_uri_names_its_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:tableServiceUri"] = "not a uri",
        }).Build();

        var error = Assert.Throws<SettingException>(() => StorageAccount.FromConfiguration(configuration));

        Assert.Equal("AzureWebJobsStorage__tableServiceUri", error.Key);
    }

    [Theory]
    [InlineData("Hiroi:ApiKeys:CacheSeconds", "0", "Hiroi__ApiKeys__CacheSeconds")]
    [InlineData("Hiroi:Storage:Prefix", "Has-Dashes", "Hiroi__Storage__Prefix")]
    [InlineData("Hiroi:Secrets:CacheSeconds", "-1", "Hiroi__Secrets__CacheSeconds")]
    public void The_server_refuses_to_start_with_a_bad_setting_and_names_it(string key, string value, string named)
    {
        using var app = new BadSettingApp(key, value);

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_picks_up_storage_from_the_settings()
    {
        using var app = new HiroiApp();
        var tables = app.Services.GetRequiredService<HiroiTables>();

        var client = await tables.GetAsync(TableNames.Orgs);

        Assert.Equal(app.Prefix + "Orgs", client.Name);
        Assert.NotNull(app.Services.GetRequiredService<TableServiceClient>());
    }

    private sealed class BadSettingApp(string key, string value) : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("AzureWebJobsStorage", TestStorage.ConnectionString);
            builder.UseSetting("Hiroi:Telemetry:Console", "false");
            builder.UseSetting(key, value);
        }
    }
}
