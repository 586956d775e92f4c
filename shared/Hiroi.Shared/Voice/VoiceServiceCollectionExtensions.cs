using Hiroi.Shared.Configuration;
using Hiroi.Shared.Voice.Realtime;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.Voice;

public static class VoiceServiceCollectionExtensions
{
    /// <summary>Agents on phone calls: the conversation's state machine, its media operations, turns, transcripts and call limits.</summary>
    public static IServiceCollection AddVoice(this IServiceCollection services)
    {
        services.AddSection<VoiceOptions>(VoiceOptions.Section);
        services.AddSingleton<CallTranscriptRepository>();
        services.AddSingleton<CallLimitRepository>();
        services.AddSingleton<CallLimits>();
        services.AddSingleton<VoiceLines>();
        services.AddSingleton<VoiceMedia>();
        services.AddSingleton<VoiceTurnRunner>();
        services.AddSingleton<VoiceCalls>();
        services.AddRealtimeVoice();
        return services;
    }
}
