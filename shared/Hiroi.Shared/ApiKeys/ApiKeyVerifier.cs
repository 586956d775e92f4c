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
/// same key cost one hash and a constant-time compare. Failures are counted per client and per key id and client, never
/// per key id alone: a key id is public (key listings, audit actors), so that would let anyone lock its owner out. Each
/// verification takes its failure slots before it derives (given back when the key was right), so concurrent wrong keys
/// cannot all pass on one count. A client past either limit is answered 429 for wrong keys, and its derivations run one
/// at a time in a lane such clients share (waiting at most 2 s, then 429), so a flood cannot starve anyone else; the
/// right secret still passes there. A revocation is remembered for as long as a cache entry lives, so a derivation
/// already under way cannot re-cache the key. A cached key is trusted without a read only while the broadcast can vouch
/// that no revocation was missed (<see cref="IRevocationBroadcast.DeliveryMark"/>); during and after a Redis outage its
/// row is read again (a revocation on another instance then holds here without Redis).
/// </summary>
public sealed class ApiKeyVerifier : IDisposable
{
    private readonly ApiKeyRepository _keys;
    private readonly ILimitCounter _failures;
    private readonly TimeProvider _time;
    private readonly ApiKeyOptions _options;
    private readonly MemoryCache _verified;
    private readonly SemaphoreSlim _derivations = new(Environment.ProcessorCount, Environment.ProcessorCount);
    private readonly SemaphoreSlim _suspectDerivations = new(1, 1);

    private readonly IRevocationBroadcast _revocations;

    public ApiKeyVerifier(ApiKeyRepository keys, ILimitCounter failures, IRevocationBroadcast revocations, TimeProvider time, IOptions<ApiKeyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(revocations);
        (_keys, _failures, _revocations, _time, _options) = (keys, failures, revocations, time, options.Value);
        _verified = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.CacheSize, Clock = null });
        // Another instance's revocation drops this one's cached verification too.
        revocations.Subscribe(Forget);
    }

    /// <summary>How long a client past its failure limits waits for the one derivation lane they share before a 429.</summary>
    private static readonly TimeSpan SuspectLaneWait = TimeSpan.FromSeconds(2);

    private TimeSpan FailureWindow => TimeSpan.FromSeconds(_options.FailureWindowSeconds);

    public async Task<ApiKeyVerification> VerifyAsync(string presented, string clientAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var clientSubject = "apikey-client:" + clientAddress;
        if (!ApiKeyFormat.TryParse(presented, out var parts))
        {
            var counted = await HeldSlots.TakeAsync(_failures, [new LimitRule(clientSubject, FailureWindow, _options.MaxFailuresPerClient)], cancellationToken)
                .ConfigureAwait(false);
            return Refused(counted);
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var cacheKey = CacheKey(parts);
        if (_verified.TryGetValue<VerifiedKey>(cacheKey, out var cached) && cached is not null
            && cached.ExpiresAt > _time.GetUtcNow() && await StillValidAsync(cacheKey, parts, cached, cancellationToken).ConfigureAwait(false))
        {
            if (CryptographicOperations.FixedTimeEquals(cached.Digest, digest))
            {
                await TouchIfDueAsync(cached, cancellationToken).ConfigureAwait(false);
                return new ApiKeyVerification(ApiKeyOutcome.Accepted, cached.Caller);
            }

            // The cache holds the right key for this id: this one is wrong, and no derivation is needed to know it.
            return Refused(await TakeFailureAsync(parts.KeyId, clientSubject, cancellationToken).ConfigureAwait(false));
        }

        // The failure slot is taken before the derivation: a client with none left derives in the suspects' lane.
        var failure = await TakeFailureAsync(parts.KeyId, clientSubject, cancellationToken).ConfigureAwait(false);
        var mark = _revocations.DeliveryMark; // before the read: a revocation after it changes the mark or is delivered
        var record = await _keys.FindAsync(parts.OrgId, parts.KeyId, cancellationToken).ConfigureAwait(false);
        var matches = record is { RevokedAt: null }
            && await DerivationMatchesAsync(parts.Secret, record, failure.Allowed ? null : SuspectLaneWait, cancellationToken).ConfigureAwait(false) is true;
        if (!matches)
        {
            // (A suspect whose lane stayed busy also lands here: its request is refused with 429, not judged.)
            return Refused(failure);
        }

        await failure.GiveBackAsync(CancellationToken.None).ConfigureAwait(false); // the right key: no failure happened

        var caller = new Caller(parts.OrgId, "apikey:" + parts.KeyId, record!.ParsedRole);
        var verified = new VerifiedKey(digest, caller, _time.GetUtcNow().AddSeconds(_options.CacheSeconds), mark);
        CacheUnlessRevoked(cacheKey, verified);
        await TouchIfDueAsync(verified, cancellationToken).ConfigureAwait(false);
        return new ApiKeyVerification(ApiKeyOutcome.Accepted, caller);
    }

    /// <summary>
    /// Whether a cached verification still holds: yes while no revocation can have been missed since it was cached (the
    /// broadcast's mark is the same); otherwise (Redis was or is unreachable) the key's row is read again, without a
    /// derivation, and a key revoked meanwhile is forgotten.
    /// </summary>
    private async Task<bool> StillValidAsync(string cacheKey, ApiKeyParts parts, VerifiedKey cached, CancellationToken cancellationToken)
    {
        var mark = _revocations.DeliveryMark;
        if (mark is not null && cached.Mark == mark)
        {
            return true;
        }

        var record = await _keys.FindAsync(parts.OrgId, parts.KeyId, cancellationToken).ConfigureAwait(false);
        if (record is not { RevokedAt: null })
        {
            Forget(cacheKey);
            return false;
        }

        cached.Mark = mark;
        return true;
    }

    /// <summary>
    /// Drops the cached verification of a revoked key here at once, and on every other instance through the broadcast
    /// (within about a second with Redis; without it, other instances keep their entry up to <c>CacheSeconds</c>).
    /// </summary>
    public async Task RevokedAsync(OrgId org, string keyId, CancellationToken cancellationToken)
    {
        var cacheKey = org.Value + "/" + keyId;
        Forget(cacheKey);
        await _revocations.PublishAsync(cacheKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops a verification and remembers the revocation for as long as any entry could live, so a derivation that
    /// started before the revocation (it read the row while the key was valid) cannot cache the key afterwards.
    /// </summary>
    private void Forget(string cacheKey)
    {
        _verified.Set(RevokedKey(cacheKey), true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(_options.CacheSeconds) });
        _verified.Remove(cacheKey);
    }

    private void CacheUnlessRevoked(string cacheKey, VerifiedKey verified)
    {
        if (_verified.TryGetValue(RevokedKey(cacheKey), out _))
        {
            return;
        }

        _verified.Set(cacheKey, verified, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(_options.CacheSeconds) });
        if (_verified.TryGetValue(RevokedKey(cacheKey), out _))
        {
            _verified.Remove(cacheKey); // revoked between the check and the write
        }
    }

    private static string RevokedKey(string cacheKey) => "revoked:" + cacheKey;

    public void Dispose()
    {
        _verified.Dispose();
        _derivations.Dispose();
        _suspectDerivations.Dispose();
    }

    private static string CacheKey(ApiKeyParts parts) => parts.OrgId.Value + "/" + parts.KeyId;

    private static string KeyClientSubject(string keyId, string clientSubject) => "apikey-id:" + keyId + "|" + clientSubject;

    /// <summary>
    /// Derives in the shared lane, or (for a client past its limits, <paramref name="suspectWait"/> set) in the one lane
    /// such clients share, waiting at most that long for it; null when that wait ran out.
    /// </summary>
    private async Task<bool?> DerivationMatchesAsync(string secret, ApiKeyEntity record, TimeSpan? suspectWait, CancellationToken cancellationToken)
    {
        var lane = suspectWait is null ? _derivations : _suspectDerivations;
        if (!await lane.WaitAsync(suspectWait ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            return ApiKeyHasher.Verify(secret, record.StoredHash);
        }
        finally
        {
            lane.Release();
        }
    }

    /// <summary>A failure slot of the client with this key id and of the client overall; none taken when either is used up.</summary>
    private Task<HeldSlots> TakeFailureAsync(string keyId, string clientSubject, CancellationToken cancellationToken) =>
        HeldSlots.TakeAsync(_failures,
        [
            new LimitRule(KeyClientSubject(keyId, clientSubject), FailureWindow, _options.MaxFailuresPerKeyAndClient),
            new LimitRule(clientSubject, FailureWindow, _options.MaxFailuresPerClient),
        ], cancellationToken);

    /// <summary>A wrong key: 401 while the client had a failure slot for it, 429 (with when to come back) once it had none.</summary>
    private static ApiKeyVerification Refused(HeldSlots failure) =>
        failure.Allowed ? ApiKeyVerification.Rejected : new ApiKeyVerification(ApiKeyOutcome.Throttled, RetryAt: failure.RetryAt);

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

    private sealed class VerifiedKey(byte[] digest, Caller caller, DateTimeOffset expiresAt, long? mark)
    {
        /// <summary>The broadcast's delivery mark when the key was last known valid (null: not trusted without a read).</summary>
        public long? Mark { get; set; } = mark;

        public byte[] Digest { get; } = digest;
        public Caller Caller { get; } = caller;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        // Ticks of the last LastUsedAt write; long.MinValue/2 so the first use is always recorded.
        public long LastTouchedTicks = long.MinValue / 2;
    }
}
