using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Retention;
using Hiroi.Shared;

namespace Hiroi.Server.Workflows;

public static class SelfHostWorkflows
{
    /// <summary>What runs by itself in the self-host: the campaign queue runner (the campaign driver) and the retention timer.</summary>
    public static IServiceCollection AddSelfHostWorkflows(this IServiceCollection services)
    {
        services.AddSection<CampaignRunnerOptions>(CampaignRunnerOptions.Section);
        services.AddSingleton<CampaignStepMessages>();
        services.AddSingleton<ICampaignDriver, QueueCampaignDriver>();
        services.AddSingleton<CampaignRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<CampaignRunner>());

        services.AddSection<RetentionSweepOptions>(RetentionSweepOptions.Section);
        services.AddSingleton<RetentionTimer>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionTimer>());
        return services;
    }
}
