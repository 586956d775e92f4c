using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Agents;

public static class AgentApiServiceCollectionExtensions
{
    /// <summary>What the agent routes add to the agents' runtime: reading and checking agent definitions from requests.</summary>
    public static IServiceCollection AddAgentApi(this IServiceCollection services)
    {
        services.AddSingleton<AgentRequestReader>();
        return services;
    }
}
