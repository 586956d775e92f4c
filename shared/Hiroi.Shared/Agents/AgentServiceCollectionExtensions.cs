using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.Agents;

public static class AgentServiceCollectionExtensions
{
    /// <summary>Agents and their runtime: model clients, tools, metering (tools read org secrets through <see cref="IToolSecrets"/>) (the workflows run SMS turns).</summary>
    public static IServiceCollection AddAgents(this IServiceCollection services)
    {
        services.AddSection<AiOptions>(AiOptions.Section);
        services.AddSingleton<AgentRepository>();
        services.AddSingleton<AgentTurnRepository>();
        services.AddSingleton<UsageMeter>();
        services.AddSingleton<IAgentChatClients, AgentChatClients>();
        services.AddSingleton<AgentToolbox>();
        services.AddSingleton<MeteredAgentTurn>();
        services.AddSingleton<SmsAgentReply>();
        services.AddToolHttp();
        return services;
    }
}
