using Hiroi.Durable.Workflows;
using Hiroi.Endpoints.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hiroi.Functions.Hosting;

public static class FunctionsHostExtensions
{
    /// <summary>
    /// What the Functions app adds to the core: the one route table and pipeline its HTTP adapters run, and the Durable
    /// Task client the host binds to each invocation. Its engine is the Durable extension; its timer is a TimerTrigger; the hand-off queues are read by queue triggers.
    /// </summary>
    public static IServiceCollection AddFunctionsHost(this IServiceCollection services)
    {
        services.AddSingleton<HiroiHttp>();
        // The worker's API explorer sees no routes (it dispatches by invocation): the document comes from the route table.
        services.Replace(ServiceDescriptor.Singleton<IOpenApiDocumentSource, RouteTableOpenApiDocument>());
        services.AddSingleton<IDurableClientSource, InvocationDurableClient>();
        return services;
    }
}
