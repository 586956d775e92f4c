using Hiroi.Shared.Agents;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Voice.Realtime;

public static class RealtimeServiceCollectionExtensions
{
    /// <summary>
    /// Realtime calls: the media socket's URL (both hosts answer with it), the bridge the self-host runs per socket, and
    /// the realtime model (Azure OpenAI, or the local model with <c>Hiroi:Ai:Provider</c> Local).
    /// </summary>
    public static IServiceCollection AddRealtimeVoice(this IServiceCollection services)
    {
        services.AddSection<RealtimeVoiceOptions>(RealtimeVoiceOptions.Section);
        services.AddSingleton<MediaStreamUris>();
        services.AddSingleton<LocalSpeechChannel>();
        services.AddSingleton<RealtimeCallRegistry>();
        services.AddSingleton<RealtimeCalls>();
        services.AddSingleton<LocalRealtimeVoice>();
        services.AddSingleton<AzureRealtimeVoice>();
        services.AddSingleton<IRealtimeVoice>(sp => sp.GetRequiredService<IOptions<AiOptions>>().Value.Provider == AiProvider.AzureOpenAI
            ? sp.GetRequiredService<AzureRealtimeVoice>()
            : sp.GetRequiredService<LocalRealtimeVoice>());
        return services;
    }
}
