using Azure.Core;
using Azure.Identity;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Acs;

public static class AcsServiceCollectionExtensions
{
    /// <summary>
    /// The ACS REST client as <see cref="IAcsClient"/>: settings from <c>Hiroi:Acs</c> (validated at start), a typed
    /// HttpClient on the resource endpoint, and <see cref="AcsRequestSigner"/> (HMAC with the secret
    /// <c>Acs:AccessKey</c>, or Entra ID tokens from a registered <see cref="TokenCredential"/>, else
    /// <see cref="DefaultAzureCredential"/>). Needs <c>ISecretStore</c> (see <c>AddHiroiShared</c>).
    /// </summary>
    public static IServiceCollection AddAcsClient(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSection<AcsOptions>(AcsOptions.Section);
        services.TryAddSingleton(sp => new AcsBearerTokenSource(
            new Lazy<TokenCredential>(() => sp.GetService<TokenCredential>() ?? new DefaultAzureCredential()),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddTransient<AcsRequestSigner>();

        services.AddHttpClient<IAcsClient, AcsRestClient>((sp, client) =>
            {
                // Left unset when ACS is not configured: the client then names the missing setting on first use.
                client.BaseAddress = sp.GetRequiredService<IOptions<AcsOptions>>().Value.EndpointUri;
            })
            .AddHttpMessageHandler<AcsRequestSigner>();
        return services;
    }
}
