using Hiroi.Durable.Workflows;
using Hiroi.Shared;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Retention;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Telephony.Inbound;
using Hiroi.Shared.TenantSecrets;
using Hiroi.Shared.Voice;
using Hiroi.Shared.Widget;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hiroi.Benchmarks;

/// <summary>The platform's services without a host, over the given storage and prefix, for the load runs.</summary>
public static class BenchServices
{
    public static ServiceProvider Build(string storage, string prefix, Action<IServiceCollection>? replace = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage, ["Hiroi:Storage:Prefix"] = prefix,
            ["Hiroi:Privacy:SubjectKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddHiroiShared()
            .AddSignIn()
            .AddOrgs()
            .AddTelephony()
            .AddAcsEventConsumers()
            .AddVoice()
            .AddCampaigns()
            .AddRetention()
            .AddAgents()
            .AddTenantSecrets()
            .AddWidget()
            .AddWorkflows();
        replace?.Invoke(services);
        return services.BuildServiceProvider();
    }
}
