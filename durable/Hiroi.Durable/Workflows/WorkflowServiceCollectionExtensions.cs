using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Retention;
using Hiroi.Durable.Voice;
using Hiroi.Shared;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Voice;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Durable.Workflows;

public static class WorkflowServiceCollectionExtensions
{
    /// <summary>
    /// The workflows' steps, campaign commands, and the starter that schedules and wakes orchestrations.
    /// Both hosts run them on Durable Task; each adds its engine and the <see cref="IDurableClientSource"/> the starter
    /// calls through.
    /// </summary>
    public static IServiceCollection AddWorkflows(this IServiceCollection services)
    {
        services.AddSection<RetentionSweepOptions>(RetentionSweepOptions.Section);
        services.AddSingleton<WorkflowStarter>();
        services.AddSingleton<CampaignStep>();
        services.AddSingleton<CampaignCommands>();
        services.AddSingleton<ICampaignDriver, DurableCampaignDriver>();
        services.AddSingleton<RetentionSweep>();
        services.AddSingleton<OrgPurge>();
        services.AddSingleton<IAgentReplies, DurableAgentReplies>();
        services.AddSingleton<IVoiceDeadlines, DurableVoiceDeadlines>();
        return services;
    }
}
