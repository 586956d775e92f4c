using System.Security.Cryptography;
using System.Text.Json;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Widget;

public static class WidgetModes
{
    public const string Origin = "origin";
    public const string SignedTokens = "signed";
}

public static class WidgetEnvironments
{
    public static readonly string[] All = ["dev", "staging", "prod"];
}

/// <summary>A signing secret of a signed-mode key, sealed under the tenant-secret keys; valid until <see cref="ValidUntil"/> once replaced.</summary>
public sealed record WidgetSecret(string Kid, string Ciphertext, string DataKey, DateTimeOffset CreatedAt, DateTimeOffset? ValidUntil);

/// <summary>
/// A website chat widget key: PartitionKey = org id, RowKey = the public key id (<c>wk_{org}_{random}</c>, so a request
/// that names it finds its org with no index; a forged id finds no row). Revoked keys stay as tombstones so an id is
/// never used again.
/// </summary>
public sealed class WidgetKeyEntity : TableRow
{
    public string Name { get; set; } = string.Empty;
    public string Environment { get; set; } = "prod";
    public string Mode { get; set; } = WidgetModes.Origin;

    /// <summary>Canonical origins (<see cref="WidgetOrigins"/>), comma-separated.</summary>
    public string Origins { get; set; } = string.Empty;

    public string AgentId { get; set; } = string.Empty;
    public long DailyTokenCap { get; set; }
    public long DailyCostCapMicroUsd { get; set; }
    public int MaxSessions { get; set; } = 100;
    public int MaxSessionsPerVisitor { get; set; } = 3;
    public int MessagesPerSession { get; set; } = 50;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when the key was rotated: it keeps working until then.</summary>
    public DateTimeOffset? ValidUntil { get; set; }

    public string? ReplacedBy { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public string SecretsJson { get; set; } = "[]";

    /// <summary>The key's daily caps, which its visitors' turns reserve against beside the org's and the agent's.</summary>
    public ScopeCaps Caps() => new(RowKey, "the widget key's", DailyTokenCap, DailyCostCapMicroUsd);

    [System.Runtime.Serialization.IgnoreDataMember]
    public IReadOnlyList<string> OriginList => Origins.Length == 0 ? [] : Origins.Split(',');

    public IReadOnlyList<WidgetSecret> Secrets() => JsonSerializer.Deserialize<WidgetSecret[]>(SecretsJson, JsonSerializerOptions.Web) ?? [];

    public void SetSecrets(IEnumerable<WidgetSecret> secrets) => SecretsJson = JsonSerializer.Serialize(secrets, JsonSerializerOptions.Web);

    /// <summary>Whether it may open sessions now: not revoked, not past the end of its rotation overlap.</summary>
    public bool IsUsable(DateTimeOffset now) => RevokedAt is null && (ValidUntil is null || ValidUntil > now);

    public const string Prefix = "wk_";

    public static string NewId(OrgId org) => $"{Prefix}{org.Value["org_".Length..]}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    /// <summary>The org a key id names, if it is well formed.</summary>
    public static bool TryOrgOf(string? keyId, out OrgId org)
    {
        org = default;
        var parts = keyId?.Split('_');
        return parts is ["wk", var orgHex, { Length: 24 }] && OrgId.TryParse("org_" + orgHex, out org);
    }
}

public sealed class WidgetKeyRepository(HiroiTables tables) : OrgScopedRepository<WidgetKeyEntity>(tables, TableNames.WidgetKeys, WidgetKeyEntity.Prefix)
{
    /// <summary>Usable keys (not revoked, not rotated out) an org may hold at once; revoked tombstones do not count.</summary>
    public const int MaxUsableKeysPerOrg = 50;

    /// <summary>The key a widget request names, found through the org its id carries.</summary>
    public async Task<(OrgId Org, WidgetKeyEntity Key)?> ResolveAsync(string keyId, CancellationToken cancellationToken) =>
        WidgetKeyEntity.TryOrgOf(keyId, out var org) && await FindAsync(org, keyId, cancellationToken).ConfigureAwait(false) is { } key
            ? (org, key)
            : null;
}
