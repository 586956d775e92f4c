using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Workflows;
using Hiroi.Endpoints.Hosting;
using Hiroi.Endpoints.Privacy;
using Hiroi.Server.Workflows;
using Hiroi.Shared;
using Hiroi.Shared.Privacy;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hiroi.Tests.Hosting;

/// <summary>The core is services only; what runs by itself belongs to a host.</summary>
public class CompositionTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private static ServiceCollection Core()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = TestStorage.ConnectionString,
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration).AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        return services;
    }

    [Fact]
    public void The_core_registers_no_background_service()
    {
        var services = Core().AddHiroiCore(new ConfigurationBuilder().Build());

        // Only the frameworks' own (telemetry export, health publishing, data protection keys), each by its type.
        Assert.All(services.Where(d => d.ServiceType == typeof(IHostedService)), d =>
        {
            Assert.NotNull(d.ImplementationType);
            Assert.False(d.ImplementationType.Namespace!.StartsWith("Hiroi", StringComparison.Ordinal), d.ImplementationType.FullName);
        });
        // The workflow starter calls through a Durable Task client only a host can give.
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IDurableClientSource));
    }

    [Fact]
    public void Privacy_needs_nothing_but_the_shared_core()
    {
        using var provider = Core().AddHiroiShared().AddPrivacy().BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        Assert.NotNull(provider.GetRequiredService<SubjectErasure>());
        Assert.NotNull(provider.GetRequiredService<SubjectExport>());
    }

    [Fact]
    public void The_self_host_adds_its_durable_engine_and_retention_timer()
    {
        var hosted = app.Services.GetServices<IHostedService>().Select(s => s.GetType()).ToList();

        Assert.Contains(typeof(DurableSidecar), hosted);
        Assert.Contains(hosted, t => t.IsAssignableTo(typeof(Microsoft.DurableTask.Worker.Hosting.DurableTaskWorker)));
        Assert.Contains(typeof(RetentionTimer), hosted);
        Assert.IsType<ProcessDurableClient>(app.Services.GetRequiredService<IDurableClientSource>());
        Assert.IsType<DurableCampaignDriver>(app.Services.GetRequiredService<ICampaignDriver>());
    }
}
