using Hiroi.Shared.Configuration;
using Hiroi.Shared.Contacts;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.Campaigns;

public static class CampaignServiceCollectionExtensions
{
    /// <summary>Contacts, the do-not-contact list, campaigns, their policy gate, dispatch and outcomes (the workflows step them).</summary>
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
        return services;
    }
}
