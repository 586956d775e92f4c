using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Secrets;

/// <summary>
/// Reuses values for a short time so a request does not cost a vault round trip, and keeps serving the last known value
/// when the vault has a transient fault (a rotated secret still works until the next successful read).
/// </summary>
public sealed class CachingSecretStore(ISecretStore inner, TimeProvider time, IOptions<SecretOptions> options, ILogger<CachingSecretStore> logger)
    : ISecretStore
{
    private readonly ConcurrentDictionary<string, CachedSecret> _cache = new(StringComparer.Ordinal);

    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ttl = TimeSpan.FromSeconds(options.Value.CacheSeconds);
        if (_cache.TryGetValue(name, out var cached) && now - cached.ReadAt < ttl)
        {
            return cached.Value;
        }

        try
        {
            var value = await inner.GetAsync(name, cancellationToken).ConfigureAwait(false);
            _cache[name] = new CachedSecret(value, now);
            return value;
        }
        catch (SecretStoreUnavailableException) when (cached is not null)
        {
            logger.LogWarning("Secret store unavailable; serving the last known value of {SecretName}", name);
            return cached.Value;
        }
    }

    private sealed record CachedSecret(string? Value, DateTimeOffset ReadAt);
}
