using System.Net;
using System.Text.Json;
using Hiroi.Server.Cli;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Hiroi.Tests.Cli;

public class BootstrapCliTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await HiroiCli.RunAsync(args, output, error, c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = app.StorageConnectionString,
            ["Hiroi:Storage:Prefix"] = app.Prefix,
        }));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Org_create_prints_an_owner_key_that_works_against_the_api()
    {
        var (exit, output, _) = await RunAsync("org", "create", "Acme", "--owner", "you@example.com", "--json");

        Assert.Equal(0, exit);
        var json = JsonDocument.Parse(output).RootElement;
        var apiKey = json.GetProperty("apiKey").GetString()!;
        var response = await app.ClientWithKey(apiKey).GetAsync("/api/orgs/current");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var org = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(json.GetProperty("orgId").GetString(), org.GetProperty("id").GetString());
        Assert.Equal("Acme", org.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Human_output_shows_the_key_once_with_a_hint()
    {
        var (exit, output, _) = await RunAsync("org", "create", "Beta", "--owner", "b@example.com");

        Assert.Equal(0, exit);
        Assert.Contains("Organization: org_", output, StringComparison.Ordinal);
        Assert.Contains("hiroi_sk_", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("org", "create", "Acme", "--owner", "not-an-email")]
    [InlineData("org", "create", "", "--owner", "a@example.com")]
    [InlineData("org", "create", "Acme")]
    [InlineData("org", "frobnicate")]
    public async Task Bad_arguments_fail_with_a_message(params string[] args)
    {
        var (exit, output, error) = await RunAsync(args);

        Assert.NotEqual(0, exit);
        Assert.False(string.IsNullOrWhiteSpace(error), output);
        Assert.DoesNotContain("hiroi_sk_", output, StringComparison.Ordinal);
    }
}
