using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.ApiKeys;

/// <summary>A key just created: its record and the plaintext, which exists only in this object and the response.</summary>
public sealed record CreatedApiKey(ApiKeyEntity Record, string PlainText);

/// <summary>Creates, lists and revokes an org's API keys; every change is audited.</summary>
public sealed class ApiKeyService(ApiKeyRepository keys, ApiKeyVerifier verifier, AuditTrail audit, TimeProvider time)
{
    public const int MaxNameLength = 100;

    /// <summary>Creates a key with <paramref name="role"/>; a caller cannot mint a key above its own role.</summary>
    public async Task<CreatedApiKey> CreateAsync(Caller caller, string name, Role role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (role > caller.Role)
        {
            throw new UnauthorizedAccessException("A key cannot have a higher role than its creator.");
        }

        var parts = ApiKeyFormat.NewKey(caller.OrgId, ApiKeyFormat.NewKeyId());
        var hash = ApiKeyHasher.Hash(parts.Secret);
        var record = new ApiKeyEntity
        {
            RowKey = parts.KeyId,
            Name = name,
            Role = role.ToWire(),
            Salt = hash.Salt,
            Hash = hash.Hash,
            Iterations = hash.Iterations,
            CreatedAt = time.GetUtcNow(),
            CreatedBy = caller.ActorId,
        };
        await keys.AddAsync(caller.OrgId, record, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.ApiKeyCreated, "apikey:" + parts.KeyId, role.ToWire(), cancellationToken)
            .ConfigureAwait(false);
        return new CreatedApiKey(record, ApiKeyFormat.Format(parts));
    }

    public async Task<IReadOnlyList<ApiKeyEntity>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return await keys.ListAsync(caller.OrgId, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes a key of the caller's org; false when the org has no such key. Revoking twice is harmless.</summary>
    public async Task<bool> RevokeAsync(Caller caller, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var record = await keys.FindAsync(caller.OrgId, keyId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return false;
        }

        if (record.ParsedRole > caller.Role)
        {
            throw new UnauthorizedAccessException("A key cannot be revoked by a caller of a lower role.");
        }

        if (record.RevokedAt is null)
        {
            record.RevokedAt = time.GetUtcNow();
            // No ETag condition: revocation must win over a concurrent LastUsedAt write.
            record.ETag = default;
            if (!await keys.UpdateAsync(caller.OrgId, record, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            await audit.RecordAsync(caller, AuditActions.ApiKeyRevoked, "apikey:" + keyId, null, cancellationToken).ConfigureAwait(false);
        }

        await verifier.RevokedAsync(caller.OrgId, keyId, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
