using System.Buffers.Text;
using System.Security.Cryptography;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Security;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Caching.Memory;

namespace Hiroi.Shared.Widget;

/// <summary>A signing secret shown once, when it is made: the org's server keeps it to mint tokens.</summary>
public sealed record NewSigningSecret(string Kid, string Secret);

/// <summary>A key made (and its signing secret, in signed mode), or none: the org holds its limit of usable keys.</summary>
public sealed record WidgetKeyCreation(WidgetKeyEntity? Key, NewSigningSecret? Secret)
{
    public bool AtLimit => Key is null;
}

/// <summary>
/// Widget keys' lifecycle: create, rotate (a new key; the old one works until a date), revoke (at once; the row stays,
/// so its id is never used again), and signed mode's secrets (a new one; the previous one valid until a date, so two
/// are valid during a rotation). Signing secrets are sealed under the tenant-secret keys and opened only to verify.
/// </summary>
public sealed class WidgetKeyService(WidgetKeyRepository keys, TenantSecretKeyRing ring, AuditTrail audit, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan MaxOverlap = TimeSpan.FromDays(30);

    private readonly MemoryCache _opened = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    public void Dispose() => _opened.Dispose();

    /// <summary>A new key, unless the org holds <see cref="WidgetKeyRepository.MaxUsableKeysPerOrg"/> usable keys (counted and written in one step).</summary>
    public async Task<WidgetKeyCreation> CreateAsync(Caller caller, WidgetKeyEntity key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(key);
        var now = time.GetUtcNow();
        key.RowKey = WidgetKeyEntity.NewId(caller.OrgId);
        key.CreatedAt = now;
        var secret = key.Mode == WidgetModes.SignedTokens ? await AddSecretAsync(caller.OrgId, key, previousValidUntil: null, cancellationToken).ConfigureAwait(false) : null;
        var added = await keys.AddWithinLimitAsync(caller.OrgId, key, WidgetKeyRepository.MaxUsableKeysPerOrg, k => k.IsUsable(now), cancellationToken)
            .ConfigureAwait(false);
        if (added != CappedAdd.Added)
        {
            return new WidgetKeyCreation(null, null);
        }

        await audit.RecordAsync(caller, AuditActions.WidgetKeyCreated, "widgetkey:" + key.RowKey, $"mode={key.Mode} env={key.Environment}", cancellationToken)
            .ConfigureAwait(false);
        return new WidgetKeyCreation(key, secret);
    }

    /// <summary>
    /// A new key with the same settings; the old one keeps working until <paramref name="previousValidUntil"/>. Null when
    /// there is no usable key of that id; at the limit when the new key would pass the org's limit of usable keys.
    /// </summary>
    public async Task<WidgetKeyCreation?> RotateAsync(Caller caller, string keyId, DateTimeOffset previousValidUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (await keys.FindAsync(caller.OrgId, keyId, cancellationToken).ConfigureAwait(false) is not { } old || !old.IsUsable(time.GetUtcNow()))
        {
            return null;
        }

        var creation = await CreateAsync(caller, new WidgetKeyEntity
        {
            Name = old.Name, Environment = old.Environment, Mode = old.Mode, Origins = old.Origins, AgentId = old.AgentId, DailyTokenCap = old.DailyTokenCap,
            DailyCostCapMicroUsd = old.DailyCostCapMicroUsd, MaxSessions = old.MaxSessions, MaxSessionsPerVisitor = old.MaxSessionsPerVisitor,
            MessagesPerSession = old.MessagesPerSession,
        }, cancellationToken).ConfigureAwait(false);
        if (creation.Key is not { } created)
        {
            return creation;
        }

        (old.ValidUntil, old.ReplacedBy) = (previousValidUntil, created.RowKey);
        await keys.UpdateAsync(caller.OrgId, old, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.WidgetKeyRotated, "widgetkey:" + old.RowKey,
            $"replacedBy={created.RowKey} validUntil={previousValidUntil:O}", cancellationToken).ConfigureAwait(false);
        return creation;
    }

    /// <summary>A new signing secret for a signed-mode key; the others stay valid until <paramref name="previousValidUntil"/>.</summary>
    public async Task<NewSigningSecret?> RotateSecretAsync(Caller caller, string keyId, DateTimeOffset previousValidUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (await keys.FindAsync(caller.OrgId, keyId, cancellationToken).ConfigureAwait(false) is not { Mode: WidgetModes.SignedTokens } key || !key.IsUsable(time.GetUtcNow()))
        {
            return null;
        }

        var secret = await AddSecretAsync(caller.OrgId, key, previousValidUntil, cancellationToken).ConfigureAwait(false);
        await keys.UpdateAsync(caller.OrgId, key, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.WidgetSecretRotated, "widgetkey:" + key.RowKey, $"kid={secret.Kid}", cancellationToken).ConfigureAwait(false);
        return secret;
    }

    public async Task<bool> RevokeAsync(Caller caller, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (await keys.FindAsync(caller.OrgId, keyId, cancellationToken).ConfigureAwait(false) is not { } key)
        {
            return false;
        }

        if (key.RevokedAt is null)
        {
            key.RevokedAt = time.GetUtcNow();
            await keys.UpdateAsync(caller.OrgId, key, cancellationToken).ConfigureAwait(false);
            await audit.RecordAsync(caller, AuditActions.WidgetKeyRevoked, "widgetkey:" + key.RowKey, null, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>The key's signing secrets valid now, by kid, opened (and cached) for verification.</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> SigningSecretsAsync(OrgId org, WidgetKeyEntity key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = time.GetUtcNow();
        var opened = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var secret in key.Secrets().Where(s => s.ValidUntil is null || s.ValidUntil > now))
        {
            var cacheKey = key.RowKey + "/" + secret.Kid + "/" + secret.DataKey;
            if (!_opened.TryGetValue<byte[]>(cacheKey, out var value))
            {
                value = await ring.OpenAsync(Convert.FromBase64String(secret.Ciphertext), secret.DataKey, Context(org, key.RowKey, secret.Kid), cancellationToken)
                    .ConfigureAwait(false);
                _opened.Set(cacheKey, value, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(10) });
            }

            opened[secret.Kid] = value!;
        }

        return opened;
    }

    private async Task<NewSigningSecret> AddSecretAsync(OrgId org, WidgetKeyEntity key, DateTimeOffset? previousValidUntil, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var kid = "wks_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var value = RandomNumberGenerator.GetBytes(32);
        var (ciphertext, dataKey) = await ring.SealAsync(value, Context(org, key.RowKey, kid), cancellationToken).ConfigureAwait(false);
        // Keep only what is still valid: the previous secrets until the overlap ends, then the new one alone.
        var kept = key.Secrets().Where(s => s.ValidUntil is null || s.ValidUntil > now)
            .Select(s => s.ValidUntil is null || s.ValidUntil > previousValidUntil ? s with { ValidUntil = previousValidUntil } : s);
        key.SetSecrets([.. kept, new WidgetSecret(kid, Convert.ToBase64String(ciphertext), dataKey, now, null)]);
        return new NewSigningSecret(kid, Base64Url.EncodeToString(value));
    }

    private static string Context(OrgId org, string keyId, string kid) => $"widget-secret/{org.Value}/{keyId}/{kid}";
}
