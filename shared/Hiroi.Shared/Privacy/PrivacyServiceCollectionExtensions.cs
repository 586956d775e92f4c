using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.Privacy;

public static class PrivacyServiceCollectionExtensions
{
    /// <summary>GDPR export and erasure of one person's data (needs the telephony and campaign repositories).</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection services)
    {
        services.AddSingleton<SubjectFinder>();
        services.AddSingleton<SubjectExport>();
        services.AddSingleton<SubjectErasure>();
        return services;
    }
}
