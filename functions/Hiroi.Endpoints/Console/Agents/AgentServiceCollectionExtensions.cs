using Hiroi.Durable.Workflows;
using Hiroi.Shared;
using Hiroi.Shared.Agents;
using Hiroi.Shared.TenantSecrets;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Console.Agents;

public static class AgentServiceCollectionExtensions
{
    /// <summary>Agents, their runtime (model clients, tools and the org secrets they use, metering) and the Durable reply workflow that runs a turn.</summary>
    public static IServiceCollection AddAgents(this IServiceCollection services)
    {
        services.AddSection<AiOptions>(AiOptions.Section);
        services.AddSingleton<AgentRepository>();
        services.AddSingleton<AgentTurnRepository>();
        services.AddSingleton<AgentRequestReader>();
        services.AddSingleton<UsageMeter>();
        services.AddSingleton<IAgentChatClients, AgentChatClients>();
        services.AddSingleton<AgentToolbox>();
        services.AddSingleton<AgentTurnCore>();
        services.AddSingleton<AgentTurnRunner>();
        services.AddSingleton<IAgentReplies, DurableAgentReplies>();
        services.AddToolHttp();
        services.AddSingleton<TenantSecretRepository>();
        services.AddSingleton<TenantSecretService>();
        services.AddSingleton<IToolSecrets>(sp => sp.GetRequiredService<TenantSecretService>());
        return services;
    }
}
