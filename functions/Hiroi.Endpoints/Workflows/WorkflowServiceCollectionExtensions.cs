using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Retention;
using Hiroi.Durable.Workflows;
using Hiroi.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Workflows;

public static class WorkflowServiceCollectionExtensions
{
    /// <summary>
    /// The Durable workflows' activities and the starter that schedules and wakes orchestrations. Both hosts run them on
    /// Durable Task; each adds its engine and the <see cref="IDurableClientSource"/> the starter calls through.
    /// </summary>
    public static IServiceCollection AddWorkflows(this IServiceCollection services)
    {
        services.AddSection<RetentionSweepOptions>(RetentionSweepOptions.Section);
        services.AddSingleton<WorkflowStarter>();
        services.AddSingleton<ICampaignDriver, DurableCampaignDriver>();
        services.AddSingleton<CampaignActivities>();
        services.AddSingleton<RetentionActivities>();
        return services;
    }
}
