using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Text;

namespace Hiroi.Shared.Widget;

/// <summary>
/// A visitor's chat session: PartitionKey = org id, RowKey = <c>wss_</c> + 16 hex. Its token is stored hashed; the
/// row records why and when it ended. Rows <c>jti_</c> + hash mark signed tokens already used (one session each).
/// </summary>
public sealed class WidgetSessionEntity : TableRow
{
    public const string Prefix = "wss_";

    public string KeyId { get; set; } = string.Empty;
    public string VisitorId { get; set; } = string.Empty;

    /// <summary>An email the visitor gave (signed mode's <c>email</c> claim), normalized; null otherwise.</summary>
    public string? Email { get; set; }

    public string TokenHash { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset EndsAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? EndReason { get; set; }

    /// <summary>False once ended, so counting live sessions is a query, not a scan of every session of the last half hour.</summary>
    public bool Open { get; set; } = true;
    public int Messages { get; set; }
    public DateTimeOffset MinuteStartedAt { get; set; }
    public int MessagesThisMinute { get; set; }
}

/// <summary>A signed token's id, used once: PartitionKey = org id, RowKey = <c>jti_</c> + hash of the key and jti.</summary>
public sealed class WidgetJtiEntity : TableRow
{
    public const string Prefix = "jti_";

    public DateTimeOffset UsedAt { get; set; }
}

public sealed class WidgetSessionRepository(HiroiTables tables) : OrgScopedRepository<WidgetSessionEntity>(tables, TableNames.WidgetSessions, WidgetSessionEntity.Prefix)
{
    /// <summary>The key's live sessions (not ended, seen within the idle time, not past their end), to count against the limits.</summary>
    public async Task<IReadOnlyList<WidgetSessionEntity>> LiveAsync(OrgId org, string keyId, DateTimeOffset now, TimeSpan idle, CancellationToken cancellationToken) =>
        await QueryAsync(org, $"KeyId eq {keyId} and Open eq true and LastSeenAt gt {now - idle} and EndsAt gt {now}", cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
}

public sealed class WidgetJtiRepository(HiroiTables tables) : OrgScopedRepository<WidgetJtiEntity>(tables, TableNames.WidgetSessions, WidgetJtiEntity.Prefix)
{
    /// <summary>Marks the token's id used; false when it already was (a replay).</summary>
    public async Task<bool> UseOnceAsync(OrgId org, string keyId, string jti, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = WidgetJtiEntity.Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(keyId + "\n" + jti)).AsSpan(0, 16));
        try
        {
            await AddAsync(org, new WidgetJtiEntity { RowKey = key, UsedAt = now }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConflictException)
        {
            return false;
        }
    }
}

/// <summary>Session tokens: <c>wst_{session}.{secret}</c>, 256 random bits, only a hash stored.</summary>
public static class WidgetSessionTokens
{
    public static (string SessionId, string Token, string Hash) New()
    {
        var sessionId = WidgetSessionEntity.Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (sessionId, $"wst_{sessionId}.{secret}", Hash(secret));
    }

    /// <summary>The session a token names and its secret's hash, if it is well formed.</summary>
    public static bool TryRead(string? token, out string sessionId, out string hash)
    {
        (sessionId, hash) = (string.Empty, string.Empty);
        var dot = token?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (token is not { Length: > 4 and < 128 } || !token.StartsWith("wst_", StringComparison.Ordinal) || dot < 0)
        {
            return false;
        }

        (sessionId, hash) = (token[4..dot], Hash(token[(dot + 1)..]));
        return sessionId.StartsWith(WidgetSessionEntity.Prefix, StringComparison.Ordinal);
    }

    public static bool Matches(WidgetSessionEntity session, string hash)
    {
        ArgumentNullException.ThrowIfNull(session);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(session.TokenHash), Encoding.ASCII.GetBytes(hash));
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

/// <summary>
/// A line of a widget transcript (a conversation on the <c>web</c> channel): PartitionKey = org id, RowKey =
/// <c>wm_{session}_{sequence}</c>. Expires with the <c>widgetSessions</c> retention period.
/// </summary>
public sealed class WidgetMessageEntity : TableRow
{
    public const string Prefix = "wm_";

    public string SessionId { get; set; } = string.Empty;
    public string VisitorId { get; set; } = string.Empty;
    public string? Email { get; set; }
    public string Role { get; set; } = string.Empty;
    public string Text { get; set; } = string.Empty;
    public DateTimeOffset At { get; set; }
}

public sealed class WidgetMessageRepository(HiroiTables tables) : OrgScopedRepository<WidgetMessageEntity>(tables, TableNames.WidgetSessions, WidgetMessageEntity.Prefix)
{
    public IAsyncEnumerable<WidgetMessageEntity> InSessionAsync(OrgId org, string sessionId, CancellationToken cancellationToken) =>
        QueryAsync(org, $"SessionId eq {sessionId}", cancellationToken);
}

public static class WidgetVisitors
{
    /// <summary>A visitor id as sessions hold it: the embed's random id, or a signed token's <c>sub</c> (1 to 128 characters of text).</summary>
    public static bool IsVisitorId(string? id) => id is { Length: > 0 and <= 128 } && DisplayText.IsClean(id);
}
