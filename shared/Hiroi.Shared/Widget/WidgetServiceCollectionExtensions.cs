using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.Widget;

public static class WidgetServiceCollectionExtensions
{
    /// <summary>Widget keys, sessions, transcripts and the bot check (replace <see cref="IWidgetBotCheck"/> to plug in a CDN's).</summary>
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
        return services;
    }
}
