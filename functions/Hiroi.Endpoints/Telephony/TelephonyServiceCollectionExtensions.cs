using Hiroi.Shared.Acs;
using Hiroi.Shared.Events;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Endpoints.Telephony.Calls;
using Hiroi.Shared;
using Hiroi.Shared.Telephony;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Telephony;

public static class TelephonyServiceCollectionExtensions
{
    /// <summary>Numbers, opt-outs, conversations, outbound SMS, and the ACS event pipeline.</summary>
    public static IServiceCollection AddTelephony(this IServiceCollection services)
    {
        services.AddAcsClient();
        services.AddSecurityPrimitives();
        services.AddSingleton<PhoneNumberRepository>();
        services.AddSingleton<NumberRegistry>();
        services.AddSingleton<OptOutRegistry>();
        services.AddSingleton<MessageRepository>();
        services.AddSingleton<ConversationRepository>();
        services.AddSingleton<OutboundSms>();
        services.AddSingleton<EventClaims>();
        services.AddSingleton<EventProcessor>();
        services.AddSingleton<WebhookAuthenticator>();
        services.AddSection<EventGridEntraOptions>(EventGridEntraOptions.Section);
        services.TryAddKeyedSingleton(EventGridEntraValidator.ConfigurationServiceKey,
            (sp, _) => EventGridEntraValidator.MetadataFor(sp.GetRequiredService<IOptions<EventGridEntraOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EventGridEntraValidator>();
        services.AddSingleton<IAcsEventConsumer, SmsReceivedConsumer>();
        services.AddSingleton<IAcsEventConsumer, SmsDeliveryReportConsumer>();
        services.AddSection<CallOptions>(CallOptions.Section);
        services.AddSingleton<CallRepository>();
        services.AddSingleton<RecordingRepository>();
        services.AddSingleton<OutboundCalls>();
        services.AddSingleton<CallEventApplier>();
        services.AddSingleton<IAcsEventConsumer, IncomingCallConsumer>();
        services.AddSingleton<IAcsEventConsumer, RecordingFileConsumer>();
        return services;
    }
}
