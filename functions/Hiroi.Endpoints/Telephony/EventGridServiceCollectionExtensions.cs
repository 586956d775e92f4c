using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Telephony;

public static class EventGridServiceCollectionExtensions
{
    /// <summary>How the webhook authenticates Event Grid: the shared secret, or an Entra ID token.</summary>
    public static IServiceCollection AddEventGridWebhook(this IServiceCollection services)
    {
        services.AddSingleton<WebhookAuthenticator>();
        services.AddSection<EventGridEntraOptions>(EventGridEntraOptions.Section);
        services.TryAddKeyedSingleton(EventGridEntraValidator.ConfigurationServiceKey,
            (sp, _) => EventGridEntraValidator.MetadataFor(sp.GetRequiredService<IOptions<EventGridEntraOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EventGridEntraValidator>();
        return services;
    }
}
