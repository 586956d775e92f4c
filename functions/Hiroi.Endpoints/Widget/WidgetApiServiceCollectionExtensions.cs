using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Widget;

public static class WidgetApiServiceCollectionExtensions
{
    /// <summary>What the widget routes add to the widget's services: the embed script and demo page with their hashes.</summary>
    public static IServiceCollection AddWidgetApi(this IServiceCollection services)
    {
        services.AddSingleton<WidgetEmbed>();
        return services;
    }
}
