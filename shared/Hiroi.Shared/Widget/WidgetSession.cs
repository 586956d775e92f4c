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
/// row records why and when it ended, and is the ledger of its message quota (taken under its ETag before each turn).
/// Rows <c>jti_</c> + hash mark signed tokens and solved challenges already used (one session each); a row
/// <c>wsg_</c> + key id is the gate its key's sessions are opened through.
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

    /// <summary>The sequence of the next transcript line: taken with a message's slot, never given back, so lines never collide.</summary>
    public int NextLine { get; set; }
}

/// <summary>Why a session could not be opened within its key's limits (nothing was written), or that it was.</summary>
public enum SessionOpening
{
    Opened,
    KeyFull,
    VisitorFull,

    /// <summary>The signed token's jti opened a session before.</summary>
    TokenUsed,

    /// <summary>The solved bot-check challenge opened a session before.</summary>
    ChallengeUsed,
}

/// <summary>A signed token's id, used once: PartitionKey = org id, RowKey = <c>jti_</c> + hash of the key and jti.</summary>
public sealed class WidgetJtiEntity : TableRow
{
    public const string Prefix = "jti_";

    public DateTimeOffset UsedAt { get; set; }
}

public sealed class WidgetSessionRepository(HiroiTables tables) : OrgScopedRepository<WidgetSessionEntity>(tables, TableNames.WidgetSessions, WidgetSessionEntity.Prefix)
{
    public const string GatePrefix = "wsg_";

    /// <summary>
    /// Adds the session unless its key already has <paramref name="maxSessions"/> live sessions or its visitor
    /// <paramref name="maxPerVisitor"/>: the count and the insert are one step under the key's gate row, together with
    /// the rows marking the token's jti and the solved challenge used, so of racing opens exactly the limit's share gets
    /// through, and a refused open (a 429) uses up neither.
    /// </summary>
    public async Task<SessionOpening> OpenWithinLimitsAsync(
        OrgId org, WidgetSessionEntity session, int maxSessions, int maxPerVisitor, WidgetJtiEntity? tokenUsed, WidgetJtiEntity? challengeUsed, TimeSpan idle,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var writes = new List<TableTransactionAction>();
        foreach (var row in new ITableEntity?[] { session, tokenUsed, challengeUsed }.OfType<ITableEntity>())
        {
            row.PartitionKey = org.Value;
            writes.Add(new TableTransactionAction(TableTransactionActionType.Add, row));
        }

        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        return await ConditionalWrites.GatedAsync(table, org.Value, GatePrefix + session.KeyId, async () =>
        {
            var live = await LiveAsync(org, session.KeyId, session.CreatedAt, idle, cancellationToken).ConfigureAwait(false);
            if (live.Count >= maxSessions)
            {
                return WriteDecision.Nothing(SessionOpening.KeyFull);
            }

            if (live.Count(s => s.VisitorId == session.VisitorId) >= maxPerVisitor)
            {
                return WriteDecision.Nothing(SessionOpening.VisitorFull);
            }

            return new WriteDecision<SessionOpening>(SessionOpening.Opened, writes)
            {
                // A used marker ends the open; the session's own random id taken is only tried again.
                WhenExists = i => writes[i].Entity == tokenUsed ? (true, SessionOpening.TokenUsed)
                    : writes[i].Entity == challengeUsed ? (true, SessionOpening.ChallengeUsed)
                    : (false, SessionOpening.Opened),
            };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes the session under its ETag: <paramref name="change"/> gets the row (first as held, then as read again
    /// after a conflict; null once it is gone) and says what it comes to and whether to write it. A message's slot, a
    /// heartbeat and an end each change only their own fields, so none of them undoes another.
    /// </summary>
    public async Task<T> ChangeAsync<T>(OrgId org, WidgetSessionEntity held, Func<WidgetSessionEntity?, (T Result, bool Write)> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(change);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var row = (WidgetSessionEntity?)held;
        return await ConditionalWrites.RunAsync(table, org.Value, held.RowKey, async () =>
        {
            row ??= await FindAsync(org, held.RowKey, cancellationToken).ConfigureAwait(false);
            var current = row;
            row = null; // a retry reads it again
            var (result, write) = change(current);
            if (current is null || !write)
            {
                return WriteDecision.Nothing(result);
            }

            current.PartitionKey = org.Value;
            return WriteDecision.Write(result, new TableTransactionAction(TableTransactionActionType.UpdateReplace, current, current.ETag));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The key's live sessions (not ended, seen within the idle time, not past their end), to count against the limits.</summary>
    public async Task<IReadOnlyList<WidgetSessionEntity>> LiveAsync(OrgId org, string keyId, DateTimeOffset now, TimeSpan idle, CancellationToken cancellationToken) =>
        await QueryAsync(org, $"KeyId eq {keyId} and Open eq true and LastSeenAt gt {now - idle} and EndsAt gt {now}", cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
}

public sealed class WidgetJtiRepository(HiroiTables tables) : OrgScopedRepository<WidgetJtiEntity>(tables, TableNames.WidgetSessions, WidgetJtiEntity.Prefix)
{
    /// <summary>The row that marks a signed token's id used, to be written with the session it opens.</summary>
    public static WidgetJtiEntity TokenUsed(string keyId, string jti, DateTimeOffset now) => Marker(keyId + "\n" + jti, now);

    /// <summary>The row that marks a solved bot-check challenge used (kept, and expiring, like token ids).</summary>
    public static WidgetJtiEntity ChallengeUsed(string keyId, string challengeId, DateTimeOffset now) => Marker(keyId + "\0challenge\0" + challengeId, now);

    private static WidgetJtiEntity Marker(string what, DateTimeOffset now) =>
        new() { RowKey = WidgetJtiEntity.Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(what)).AsSpan(0, 16)), UsedAt = now };
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
