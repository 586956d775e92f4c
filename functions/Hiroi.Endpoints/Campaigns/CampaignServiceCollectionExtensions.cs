using Hiroi.Durable.Campaigns;
using Hiroi.Shared;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Campaigns;

public static class CampaignServiceCollectionExtensions
{
    /// <summary>Contacts, the do-not-contact list, campaigns, their step and commands (each host adds the driver that steps them).</summary>
    public static IServiceCollection AddCampaigns(this IServiceCollection services)
    {
        services.AddSection<CampaignOptions>(CampaignOptions.Section);
        services.AddSingleton<ContactListRepository>();
        services.AddSingleton<ContactRepository>();
        services.AddSingleton<ContactImporter>();
        services.AddSingleton<DoNotContactList>();
        services.AddSingleton<CampaignRepository>();
        services.AddSingleton<CampaignContactRepository>();
        services.AddSingleton<RecipientTimeZones>();
        services.AddSingleton<PolicyGate>();
        services.AddSingleton<CampaignDispatcher>();
        services.AddSingleton<CampaignOutcomes>();
        services.AddSingleton<CampaignStep>();
        services.AddSingleton<CampaignCommands>();
        return services;
    }
}
