using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.RateLimiting;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.ApiKeys;

public enum ApiKeyOutcome
{
    Accepted,
    Rejected,
    Throttled,
}

/// <summary>What verifying a presented key concluded; <see cref="Caller"/> is set only when accepted.</summary>
public sealed record ApiKeyVerification(ApiKeyOutcome Outcome, Caller? Caller = null, DateTimeOffset? RetryAt = null)
{
    public static readonly ApiKeyVerification Rejected = new(ApiKeyOutcome.Rejected);
}

/// <summary>
/// Verifies presented API keys. PBKDF2 at 600,000 iterations costs a core for a fraction of a second, so: a success is
/// cached (bounded, short-lived, keyed by key id, holding only a SHA-256 of the whole key) and later requests with the
/// same key cost one hash and a constant-time compare. Failures are counted per client and per key id and client; a
/// client past either limit is answered 429 for wrong keys, and its derivations run one at a time in a lane of their own
/// so a flood cannot starve anyone else. Failures never refuse the right secret: a key id is public (key listings, audit
/// actors), so a count per id alone would let anyone lock its owner out.
/// </summary>
public sealed class ApiKeyVerifier : IDisposable
{
    private readonly ApiKeyRepository _keys;
    private readonly IFailureCounter _failures;
    private readonly TimeProvider _time;
    private readonly ApiKeyOptions _options;
    private readonly MemoryCache _verified;
    private readonly SemaphoreSlim _derivations = new(Environment.ProcessorCount, Environment.ProcessorCount);
    private readonly SemaphoreSlim _suspectDerivations = new(1, 1);

    private readonly IRevocationBroadcast _revocations;

    public ApiKeyVerifier(ApiKeyRepository keys, IFailureCounter failures, IRevocationBroadcast revocations, TimeProvider time, IOptions<ApiKeyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(revocations);
        (_keys, _failures, _revocations, _time, _options) = (keys, failures, revocations, time, options.Value);
        _verified = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.CacheSize, Clock = null });
        // Another instance's revocation drops this one's cached verification too.
        revocations.Subscribe(revoked => _verified.Remove(revoked));
    }

    private TimeSpan FailureWindow => TimeSpan.FromSeconds(_options.FailureWindowSeconds);

    public async Task<ApiKeyVerification> VerifyAsync(string presented, string clientAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var clientSubject = "apikey-client:" + clientAddress;
        if (!ApiKeyFormat.TryParse(presented, out var parts))
        {
            await _failures.IncrementAsync(clientSubject, FailureWindow, cancellationToken).ConfigureAwait(false);
            return ApiKeyVerification.Rejected;
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var cacheKey = CacheKey(parts);
        if (_verified.TryGetValue<VerifiedKey>(cacheKey, out var cached) && cached is not null
            && cached.ExpiresAt > _time.GetUtcNow())
        {
            if (CryptographicOperations.FixedTimeEquals(cached.Digest, digest))
            {
                await TouchIfDueAsync(cached, cancellationToken).ConfigureAwait(false);
                return new ApiKeyVerification(ApiKeyOutcome.Accepted, cached.Caller);
            }

            // The cache holds the right key for this id: this one is wrong, and no derivation is needed to know it.
            await RecordFailureAsync(parts.KeyId, clientSubject, cancellationToken).ConfigureAwait(false);
            return ApiKeyVerification.Rejected;
        }

        var blockedUntil = await BlockedUntilAsync(parts.KeyId, clientSubject, cancellationToken).ConfigureAwait(false);
        var record = await _keys.FindAsync(parts.OrgId, parts.KeyId, cancellationToken).ConfigureAwait(false);
        var lane = blockedUntil is null ? _derivations : _suspectDerivations;
        if (record is null || record.RevokedAt is not null || !await DerivationMatchesAsync(parts.Secret, record, lane, cancellationToken).ConfigureAwait(false))
        {
            await RecordFailureAsync(parts.KeyId, clientSubject, cancellationToken).ConfigureAwait(false);
            return blockedUntil is null ? ApiKeyVerification.Rejected : new ApiKeyVerification(ApiKeyOutcome.Throttled, RetryAt: blockedUntil);
        }

        var caller = new Caller(parts.OrgId, "apikey:" + parts.KeyId, record.ParsedRole);
        var verified = new VerifiedKey(digest, caller, _time.GetUtcNow().AddSeconds(_options.CacheSeconds));
        _verified.Set(cacheKey, verified, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(_options.CacheSeconds) });
        await TouchIfDueAsync(verified, cancellationToken).ConfigureAwait(false);
        return new ApiKeyVerification(ApiKeyOutcome.Accepted, caller);
    }

    /// <summary>
    /// Drops the cached verification of a revoked key here at once, and on every other instance through the broadcast
    /// (within about a second with Redis; without it, other instances keep their entry up to <c>CacheSeconds</c>).
    /// </summary>
    public async Task RevokedAsync(OrgId org, string keyId, CancellationToken cancellationToken)
    {
        var cacheKey = org.Value + "/" + keyId;
        _verified.Remove(cacheKey);
        await _revocations.PublishAsync(cacheKey, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _verified.Dispose();
        _derivations.Dispose();
        _suspectDerivations.Dispose();
    }

    private static string CacheKey(ApiKeyParts parts) => parts.OrgId.Value + "/" + parts.KeyId;

    private static string KeyClientSubject(string keyId, string clientSubject) => "apikey-id:" + keyId + "|" + clientSubject;

    private static async Task<bool> DerivationMatchesAsync(string secret, ApiKeyEntity record, SemaphoreSlim lane, CancellationToken cancellationToken)
    {
        await lane.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return ApiKeyHasher.Verify(secret, record.StoredHash);
        }
        finally
        {
            lane.Release();
        }
    }

    /// <summary>When the client may fail again, if it has failed too often (overall, or with this key id).</summary>
    private async Task<DateTimeOffset?> BlockedUntilAsync(string keyId, string clientSubject, CancellationToken cancellationToken)
    {
        var perKey = await _failures.GetAsync(KeyClientSubject(keyId, clientSubject), FailureWindow, cancellationToken).ConfigureAwait(false);
        if (perKey.Count >= _options.MaxFailuresPerKeyAndClient)
        {
            return perKey.WindowEnds;
        }

        var perClient = await _failures.GetAsync(clientSubject, FailureWindow, cancellationToken).ConfigureAwait(false);
        return perClient.Count >= _options.MaxFailuresPerClient ? perClient.WindowEnds : null;
    }

    private async Task RecordFailureAsync(string keyId, string clientSubject, CancellationToken cancellationToken)
    {
        await _failures.IncrementAsync(KeyClientSubject(keyId, clientSubject), FailureWindow, cancellationToken).ConfigureAwait(false);
        await _failures.IncrementAsync(clientSubject, FailureWindow, cancellationToken).ConfigureAwait(false);
    }

    private async Task TouchIfDueAsync(VerifiedKey verified, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var last = verified.LastTouchedTicks;
        if (now.UtcTicks - last < TimeSpan.FromSeconds(_options.LastUsedResolutionSeconds).Ticks
            || Interlocked.CompareExchange(ref verified.LastTouchedTicks, now.UtcTicks, last) != last)
        {
            return;
        }

        var keyId = verified.Caller.ActorId["apikey:".Length..];
        await _keys.TouchAsync(verified.Caller.OrgId, keyId, now, cancellationToken).ConfigureAwait(false);
    }

    private sealed class VerifiedKey(byte[] digest, Caller caller, DateTimeOffset expiresAt)
    {
        public byte[] Digest { get; } = digest;
        public Caller Caller { get; } = caller;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        // Ticks of the last LastUsedAt write; long.MinValue/2 so the first use is always recorded.
        public long LastTouchedTicks = long.MinValue / 2;
    }
}
