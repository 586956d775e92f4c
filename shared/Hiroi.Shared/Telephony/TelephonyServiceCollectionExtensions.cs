using Hiroi.Shared.Acs;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hiroi.Shared.Telephony;

public static class TelephonyServiceCollectionExtensions
{
    /// <summary>Numbers, opt-outs, conversations, calls and recordings, outbound SMS and calls.</summary>
    public static IServiceCollection AddTelephony(this IServiceCollection services)
    {
        services.AddAcsClient();
        services.AddSecurityPrimitives();
        services.TryAddSingleton<PhoneNumberRepository>();
        services.TryAddSingleton<NumberRegistry>();
        services.AddSingleton<OptOutRegistry>();
        services.AddSingleton<MessageRepository>();
        services.AddSingleton<ConversationRepository>();
        services.AddSingleton<OutboundSms>();
        services.AddSection<CallOptions>(CallOptions.Section);
        services.AddSingleton<CallRepository>();
        services.AddSingleton<RecordingRepository>();
        services.AddSingleton<OutboundCalls>();
        return services;
    }
}
