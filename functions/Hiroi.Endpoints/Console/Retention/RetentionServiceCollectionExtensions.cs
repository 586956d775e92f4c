using Hiroi.Durable.Retention;
using Hiroi.Shared;
using Hiroi.Shared.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Console.Retention;

public static class RetentionServiceCollectionExtensions
{
    /// <summary>Retention periods per org and kind of data, within the platform's bounds; the sweep and org purge steps (each host adds what runs them).</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddSection<RetentionOptions>(RetentionOptions.Section);
        services.AddSingleton<RetentionRepository>();
        services.AddSingleton<Hiroi.Shared.Audit.AuditRepository>();
        services.AddSingleton<RetentionSettings>();
        // One per expiring kind of DataRegistry, which sets the order.
        services.AddSingleton<IExpiringData, ExpiringMessages>();
        services.AddSingleton<IExpiringData, ExpiringSignInSessions>();
        services.AddSingleton<IExpiringData, ExpiringConversations>();
        services.AddSingleton<IExpiringData, ExpiringAgentTurns>();
        services.AddSingleton<IExpiringData, ExpiringWidgetMessages>();
        services.AddSingleton<IExpiringData, ExpiringWidgetSessions>();
        services.AddSingleton<IExpiringData, ExpiringWidgetTokenIds>();
        services.AddSingleton<IExpiringData, ExpiringCalls>();
        services.AddSingleton<IExpiringData, ExpiringRecordings>();
        // The audit trail's own expiry, then the deleted org's tombstone once its last entry is gone.
        services.AddSingleton<IExpiringData, ExpiringAnonymizedAudit>();
        services.AddSingleton<IExpiringData, ExpiringDeletedOrg>();
        services.AddSingleton<RetentionSweep>();
        services.AddSingleton<Hiroi.Shared.Tenancy.OrgDeletion>();
        services.AddSingleton<OrgPurge>();
        return services;
    }
}
