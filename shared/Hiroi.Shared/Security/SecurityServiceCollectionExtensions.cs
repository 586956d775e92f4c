using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Hiroi.Shared.Security;

public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RecordingKeyRing"/>, <see cref="CallbackTokenService"/> and <see cref="AcsCallbackJwtValidator"/>
    /// (with <see cref="AcsCallbackAuthOptions"/> from section <c>Hiroi:Acs:CallbackAuth</c>, and ACS's OpenID configuration
    /// manager under the key <see cref="AcsCallbackJwtValidator.ConfigurationServiceKey"/>, which tests may replace).
    /// Needs an <see cref="Secrets.ISecretStore"/> (registered by <c>AddHiroiShared</c>).
    /// </summary>
    public static IServiceCollection AddSecurityPrimitives(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSection<AcsCallbackAuthOptions>(AcsCallbackAuthOptions.Section);

        services.TryAddSingleton<RecordingKeyRing>();
        services.TryAddSingleton<TenantSecretKeyRing>();
        services.TryAddSingleton<CallbackTokenService>();
        services.TryAddKeyedSingleton<IConfigurationManager<OpenIdConnectConfiguration>>(AcsCallbackJwtValidator.ConfigurationServiceKey,
            (sp, _) => AcsCallbackJwtValidator.CreateConfigurationManager(
                sp.GetRequiredService<IOptions<AcsCallbackAuthOptions>>().Value.OpenIdConfigurationUrl, time: sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<AcsCallbackJwtValidator>();
        return services;
    }
}
