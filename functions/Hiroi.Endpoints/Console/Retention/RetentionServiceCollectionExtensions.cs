using Hiroi.Shared;
using Hiroi.Shared.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Console.Retention;

public static class RetentionServiceCollectionExtensions
{
    /// <summary>Retention periods per org and kind of data, within the platform's bounds.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddSection<RetentionOptions>(RetentionOptions.Section);
        services.AddSingleton<RetentionRepository>();
        services.AddSingleton<RetentionSettings>();
        return services;
    }
}
