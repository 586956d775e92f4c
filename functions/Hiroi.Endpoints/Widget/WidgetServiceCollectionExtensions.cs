using Hiroi.Shared;
using Hiroi.Shared.Widget;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Widget;

public static class WidgetServiceCollectionExtensions
{
    /// <summary>Widget keys, sessions, transcripts, the bot check (replace <see cref="IWidgetBotCheck"/> to plug in a CDN's) and the embed files.</summary>
    public static IServiceCollection AddWidget(this IServiceCollection services)
    {
        services.AddSection<WidgetOptions>(WidgetOptions.Section);
        services.AddSingleton<WidgetKeyRepository>();
        services.AddSingleton<WidgetKeyService>();
        services.AddSingleton<WidgetSessionRepository>();
        services.AddSingleton<WidgetJtiRepository>();
        services.AddSingleton<WidgetMessageRepository>();
        services.AddSingleton<IWidgetBotCheck, ProofOfWorkBotCheck>();
        services.AddSingleton<WidgetSessions>();
        services.AddSingleton<WidgetEmbed>();
        return services;
    }
}
