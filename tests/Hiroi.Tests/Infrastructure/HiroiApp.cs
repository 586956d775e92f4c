using System.Net.Http.Headers;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The self-host in memory (WebApplicationFactory) over real Azurite with its own table prefix. One per test class
/// through <c>IClassFixture</c>; tests create their own orgs so they never depend on each other.
/// </summary>
public class HiroiApp : WebApplicationFactory<Program>
{
    public string Prefix { get; } = TestStorage.NewPrefix();

    public string StorageConnectionString { get; init; } = TestStorage.ConnectionString;

    /// <summary>The key of suppression-list rows (opt-outs, do-not-contact) in this app.</summary>
    public string SubjectKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment("Testing");
        builder.UseSetting("AzureWebJobsStorage", StorageConnectionString);
        builder.UseSetting("Hiroi:Storage:Prefix", Prefix);
        builder.UseSetting("Hiroi:Telemetry:Console", "false");
        // Sample events carry old timestamps; a sweep starting in the background would delete what tests look for.
        builder.UseSetting("Hiroi:RetentionSweep:Enabled", "false");
        builder.UseSetting("Hiroi:Privacy:SubjectKey", SubjectKey);
        // Tests run the purge themselves; the delay that covers other instances' caches is tested on a clock.
        builder.UseSetting("Hiroi:Retention:OrgPurgeDelaySeconds", "0");
    }

    /// <summary>Creates an org with an owner through the same service the bootstrap command uses.</summary>
    public async Task<CreatedOrganization> CreateOrgAsync(string name = "Acme", string owner = "owner@example.com")
    {
        var orgs = Services.GetRequiredService<OrganizationService>();
        return await orgs.CreateAsync(name, owner, CancellationToken.None);
    }

    public HttpClient ClientWithKey(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }
}
