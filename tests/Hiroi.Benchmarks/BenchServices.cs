using Hiroi.Endpoints.Campaigns;
using Hiroi.Endpoints.Console.Retention;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared;
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
            .AddHiroiShared();
        services.AddTelephony();
        services.AddCampaigns();
        services.AddRetention();
        replace?.Invoke(services);
        return services.BuildServiceProvider();
    }
}
