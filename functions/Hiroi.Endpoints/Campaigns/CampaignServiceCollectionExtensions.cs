using Hiroi.Durable.Campaigns;
using Hiroi.Shared;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Campaigns;

public static class CampaignServiceCollectionExtensions
{
    /// <summary>Contacts, the do-not-contact list, campaigns, their step and the self-host's queue runner.</summary>
    public static IServiceCollection AddCampaigns(this IServiceCollection services)
    {
        services.AddSection<CampaignOptions>(CampaignOptions.Section);
        services.AddSection<CampaignRunnerOptions>(CampaignRunnerOptions.Section);
        services.AddSingleton<ContactListRepository>();
        services.AddSingleton<ContactRepository>();
        services.AddSingleton<ContactImporter>();
        services.AddSingleton<DoNotContactRepository>();
        services.AddSingleton<DoNotContactList>();
        services.AddSingleton<CampaignRepository>();
        services.AddSingleton<CampaignContactRepository>();
        services.AddSingleton<RecipientTimeZones>();
        services.AddSingleton<PolicyGate>();
        services.AddSingleton<CampaignDispatcher>();
        services.AddSingleton<CampaignOutcomes>();
        services.AddSingleton<CampaignStep>();
        services.AddSingleton<CampaignStepMessages>();
        services.AddSingleton<CampaignCommands>();
        services.AddSingleton<CampaignRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<CampaignRunner>());
        return services;
    }
}
