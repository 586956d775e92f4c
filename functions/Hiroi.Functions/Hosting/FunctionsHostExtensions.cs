using Hiroi.Durable.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Functions.Hosting;

public static class FunctionsHostExtensions
{
    /// <summary>
    /// What the Functions app adds to the core: the one route table and pipeline its HTTP adapters run, and the Durable
    /// Task client the host binds to each invocation. Its engine is the Durable extension; its timer is a TimerTrigger.
    /// </summary>
    public static IServiceCollection AddFunctionsHost(this IServiceCollection services)
    {
        services.AddSingleton<HiroiHttp>();
        services.AddSingleton<IDurableClientSource, InvocationDurableClient>();
        return services;
    }
}
