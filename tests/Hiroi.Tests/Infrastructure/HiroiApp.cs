using System.Net.Http.Headers;
using DurableTask.Core;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The self-host in memory (WebApplicationFactory) over real Azurite with its own table prefix. One per test class
/// through <c>IClassFixture</c>; tests create their own orgs so they never depend on each other. Its workflows run on
/// the self-host's own Durable Task worker and sidecar with Microsoft's in-memory orchestration service, unless
/// <see cref="InMemoryWorkflows"/> is off (then on DurableTask.AzureStorage in Azurite, as in <c>./run</c>).
/// </summary>
public class HiroiApp : WebApplicationFactory<Program>
{
    public string Prefix { get; } = TestStorage.NewPrefix();

    /// <summary>Orchestration history in memory (fast, isolated) rather than in Azurite's task hub tables and queues.</summary>
    protected virtual bool InMemoryWorkflows => true;

    public string StorageConnectionString { get; init; } = TestStorage.ConnectionString;

    /// <summary>The key of suppression-list rows (opt-outs, do-not-contact) in this app.</summary>
    public string SubjectKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in TestSettings.For(StorageConnectionString, Prefix, SubjectKey))
        {
            builder.UseSetting(key, value);
        }

        if (InMemoryWorkflows)
        {
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton(sp => new InMemoryOrchestrationService(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
                services.Replace(ServiceDescriptor.Singleton<IOrchestrationService>(sp => sp.GetRequiredService<InMemoryOrchestrationService>()));
                services.Replace(ServiceDescriptor.Singleton<IOrchestrationServiceClient>(sp => sp.GetRequiredService<InMemoryOrchestrationService>()));
            });
        }
    }

    /// <summary>The Durable Task client of the app's engine.</summary>
    public DurableTaskClient Workflows => Services.GetRequiredService<DurableTaskClient>();

    /// <summary>Runs an orchestration to its end (with an id of its own) and returns its final state.</summary>
    public async Task<OrchestrationMetadata> RunWorkflowAsync(string name, object input)
    {
        var id = await Workflows.ScheduleNewOrchestrationInstanceAsync(name, input);
        using var timeout = new CancellationTokenSource(Waits.Ceiling);
        var done = await Workflows.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{name} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done;
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
