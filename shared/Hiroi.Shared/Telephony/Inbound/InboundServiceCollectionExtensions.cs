using Hiroi.Shared.Configuration;
using Hiroi.Shared.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.Telephony.Inbound;

public static class InboundServiceCollectionExtensions
{
    /// <summary>
    /// What handles ACS's events once the webhook or a call callback has authenticated them: each event id claimed once,
    /// then its consumer (SMS received and delivery reports, incoming calls, call callbacks, recordings).
    /// </summary>
    public static IServiceCollection AddAcsEventConsumers(this IServiceCollection services)
    {
        services.AddSection<EventOptions>(EventOptions.Section);
        services.AddSingleton<EventClaims>();
        services.AddSingleton<EventProcessor>();
        services.AddSingleton<IAcsEventConsumer, SmsReceivedConsumer>();
        services.AddSingleton<IAcsEventConsumer, SmsDeliveryReportConsumer>();
        services.AddSingleton<IAcsEventConsumer, IncomingCallConsumer>();
        services.AddSingleton<IAcsEventConsumer, RecordingFileConsumer>();
        services.AddSingleton<CallEventApplier>();
        return services;
    }
}
