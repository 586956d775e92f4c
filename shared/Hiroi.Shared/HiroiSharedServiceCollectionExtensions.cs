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
        services.AddSingleton(sp => sp.GetRequiredService<StorageAccount>().Create(
            connection => new Azure.Storage.Queues.QueueServiceClient(connection, HandOffs.HandOffQueues.ClientOptions),
            (_, queues, _, credential) => new Azure.Storage.Queues.QueueServiceClient(queues, credential, HandOffs.HandOffQueues.ClientOptions)));
        services.AddSingleton<HiroiTables>();
        services.AddSingleton<HiroiBlobs>();
        // Work handed off a request: durable queues, read by the self-host's drains or the Functions app's queue triggers.
        services.AddSection<HandOffs.HandOffOptions>(HandOffs.HandOffOptions.Section);
        services.AddSingleton<HandOffs.HandOffQueues>();
        services.AddSingleton<HandOffs.HandOffProcessor>();
        services.TryAddSingleton<Events.EventClaims>(); // each hand-off acts once through its claim, as each event does

        services.AddSingleton<ISecretStore>(sp => new CachingSecretStore(
            CreateSecretStore(sp.GetRequiredService<IConfiguration>()),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<SecretOptions>>(),
            sp.GetRequiredService<ILogger<CachingSecretStore>>()));

        // Counters and revocations are shared through Redis when it is configured, kept in the process otherwise.
        services.AddSection<RedisOptions>(RedisOptions.Section);
        services.TryAddSingleton<RedisConnection>();
        // While Redis is unreachable, limits count per instance, and lockouts refuse (README, "When things fail").
        services.TryAddSingleton<RedisLimitCounter>();
        services.TryAddSingleton<InMemoryLimitCounter>();
        services.TryAddSingleton<ILimitCounter>(sp => RedisOptions.IsConfiguredIn(sp)
            ? ActivatorUtilities.CreateInstance<FallbackLimitCounter>(sp)
            : sp.GetRequiredService<InMemoryLimitCounter>());
        services.TryAddKeyedSingleton<ILimitCounter>(LimitCounters.Lockouts, (sp, _) => RedisOptions.IsConfiguredIn(sp)
            ? sp.GetRequiredService<RedisLimitCounter>()
            : sp.GetRequiredService<InMemoryLimitCounter>());
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
