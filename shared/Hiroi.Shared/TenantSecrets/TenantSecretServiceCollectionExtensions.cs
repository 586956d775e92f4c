using Hiroi.Shared.Agents;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.TenantSecrets;

public static class TenantSecretServiceCollectionExtensions
{
    /// <summary>The org's secrets, envelope-encrypted, which agents' tools read by name.</summary>
    public static IServiceCollection AddTenantSecrets(this IServiceCollection services)
    {
        services.AddSingleton<TenantSecretRepository>();
        services.AddSingleton<TenantSecretService>();
        services.AddSingleton<IToolSecrets>(sp => sp.GetRequiredService<TenantSecretService>());
        return services;
    }
}
