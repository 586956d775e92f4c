using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.RateLimiting;
using Hiroi.Shared.Redis;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared;

public static class HiroiSharedServiceCollectionExtensions
{
    /// <summary>Storage, secrets, counters, tenancy, API keys, audit and the suppression lists: the core every feature builds on.</summary>
    public static IServiceCollection AddHiroiShared(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSection<StorageOptions>(StorageOptions.Section);
        services.AddSection<ApiKeyOptions>(ApiKeyOptions.Section);
        services.AddSection<SecretOptions>(SecretOptions.Section);

        services.AddSingleton(sp => StorageAccount.FromConfiguration(sp.GetRequiredService<IConfiguration>(),
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetServices<StorageClientHook>()));
        services.AddSingleton(sp => sp.GetRequiredService<StorageAccount>().CreateTableServiceClient());
        services.AddSingleton(sp => sp.GetRequiredService<StorageAccount>().CreateBlobServiceClient());
        services.AddSingleton<HiroiTables>();
        services.AddSingleton<HiroiBlobs>();

        services.AddSingleton<ISecretStore>(sp => new CachingSecretStore(
            CreateSecretStore(sp.GetRequiredService<IConfiguration>()),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<SecretOptions>>(),
            sp.GetRequiredService<ILogger<CachingSecretStore>>()));

        // Counters and revocations are shared through Redis when it is configured, kept in the process otherwise.
        services.AddSection<RedisOptions>(RedisOptions.Section);
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<ILimitCounter>(sp => RedisOptions.IsConfiguredIn(sp)
            ? ActivatorUtilities.CreateInstance<RedisLimitCounter>(sp)
            : ActivatorUtilities.CreateInstance<InMemoryLimitCounter>(sp));
        services.TryAddSingleton<IRevocationBroadcast>(sp => RedisOptions.IsConfiguredIn(sp)
            ? ActivatorUtilities.CreateInstance<RedisRevocationBroadcast>(sp)
            : new InProcessRevocationBroadcast());
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<SubjectKeys>();
        // Suppression lists: every channel, campaigns and privacy requests read them.
        services.AddSingleton<Telephony.OptOutRepository>();
        services.AddSingleton<Contacts.DoNotContactRepository>();
        services.AddSingleton<OrganizationRepository>();
        services.AddSingleton<MemberRepository>();
        services.AddSingleton<ApiKeyRepository>();
        services.AddSingleton<ApiKeyVerifier>();
        services.AddSingleton<ApiKeyService>();
        return services;
    }

    private static ISecretStore CreateSecretStore(IConfiguration configuration)
    {
        var vault = configuration[SecretOptions.KeyVaultUriKey];
        if (string.IsNullOrWhiteSpace(vault))
        {
            return new ConfigurationSecretStore(configuration);
        }

        if (!Uri.TryCreate(vault, UriKind.Absolute, out var vaultUri) || vaultUri.Scheme != Uri.UriSchemeHttps)
        {
            throw new SettingException(SecretOptions.KeyVaultUriKey, "must be the vault's https URI");
        }

        return new KeyVaultSecretStore(new SecretClient(vaultUri, new DefaultAzureCredential()));
    }
}
