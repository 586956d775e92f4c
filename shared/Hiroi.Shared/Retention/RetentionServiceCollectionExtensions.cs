using Hiroi.Shared.Audit;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.Retention;

public static class RetentionServiceCollectionExtensions
{
    /// <summary>Retention periods per org and kind of data, within the platform's bounds, and each expiring kind (the workflows sweep them).</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddSection<RetentionOptions>(RetentionOptions.Section);
        services.AddSingleton<RetentionRepository>();
        services.AddSingleton<AuditRepository>();
        services.AddSingleton<RetentionSettings>();
        // One per expiring kind of DataRegistry, which sets the order.
        services.AddSingleton<IExpiringData, ExpiringMessages>();
        services.AddSingleton<IExpiringData, ExpiringSignInSessions>();
        services.AddSingleton<IExpiringData, ExpiringConversations>();
        services.AddSingleton<IExpiringData, ExpiringAgentTurns>();
        services.AddSingleton<IExpiringData, ExpiringWidgetMessages>();
        services.AddSingleton<IExpiringData, ExpiringWidgetSessions>();
        services.AddSingleton<IExpiringData, ExpiringWidgetTokenIds>();
        services.AddSingleton<IExpiringData, ExpiringCallTranscripts>();
        services.AddSingleton<IExpiringData, ExpiringCalls>();
        services.AddSingleton<IExpiringData, ExpiringCallLimits>();
        services.AddSingleton<IExpiringData, ExpiringRecordings>();
        // The audit trail's own expiry, then the deleted org's tombstone once its last entry is gone.
        services.AddSingleton<IExpiringData, ExpiringAnonymizedAudit>();
        services.AddSingleton<IExpiringData, ExpiringDeletedOrg>();
        return services;
    }
}
