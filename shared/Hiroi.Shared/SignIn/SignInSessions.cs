using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// A console session: PartitionKey = SHA-256 of the session id (the cookie), RowKey = <c>session</c>. It names the
/// person, how they signed in, whether a second factor was shown, and the org they chose (with their member id and role
/// there: any change to the membership revokes the session, so these never go stale).
/// </summary>
public sealed class SignInSessionEntity() : TableRow(RowKeyValue)
{
    public const string RowKeyValue = "session";

    public string AccountId { get; set; } = string.Empty;

    /// <summary>link, code, passkey or entra.</summary>
    public string Method { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>The absolute end, whatever the activity.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The person has TOTP on: nothing but the second step works until <see cref="SecondFactorAt"/> is set.</summary>
    public bool NeedsSecondFactor { get; set; }

    /// <summary>When a second factor (a TOTP code, a recovery code, or a passkey with user verification) was last shown.</summary>
    public DateTimeOffset? SecondFactorAt { get; set; }

    public string? OrgId { get; set; }
    public string? MemberId { get; set; }
    public string? Role { get; set; }

    /// <summary>The browser's user agent, cut short, so a person can tell their sessions apart.</summary>
    public string? UserAgent { get; set; }

    /// <summary>Whether the person has passed every step sign-in asks of them.</summary>
    public bool IsComplete => !NeedsSecondFactor || SecondFactorAt is not null;
}

/// <summary>A session's entry in its person's partition of the accounts table (RowKey = <c>ses_{hash}</c>), to list and revoke them.</summary>
public sealed class SessionIndexEntity : TableRow
{
    public const string Prefix = "ses_";

    public DateTimeOffset CreatedAt { get; set; }
    public string? OrgId { get; set; }

    public string SessionHash => RowKey[Prefix.Length..];
}

/// <summary>A session a request presented and the store accepted, with the id it came with (for its CSRF token).</summary>
public sealed record ActiveSession(string Token, SignInSessionEntity Row)
{
    public string Hash => Row.PartitionKey;

    /// <summary>The id a person uses to name one of their sessions (never the cookie itself).</summary>
    public string PublicId => SessionIndexEntity.Prefix + Row.PartitionKey;
}

/// <summary>
/// Server-side sessions: created at sign-in (rotated at step-up), checked on every cookie request (one point read; the
/// idle clock is written at most once a minute), revoked at sign-out, by the person, or when their membership changes.
/// </summary>
public sealed class SignInSessionStore(HiroiTables tables, IOptions<SignInOptions> options, TimeProvider time)
{
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    private Task<TableClient> SessionsAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.SignInSessions, cancellationToken);

    private Task<TableClient> AccountsAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.Accounts, cancellationToken);

    /// <summary>Starts a session for the person. Past the per-person limit, the oldest sessions are revoked.</summary>
    public Task<ActiveSession> CreateAsync(
        string accountId, string method, bool needsSecondFactor, DateTimeOffset? secondFactorAt, string? userAgent, CancellationToken cancellationToken) =>
        AddAsync(new SignInSessionEntity
        {
            AccountId = accountId, Method = method, ExpiresAt = time.GetUtcNow() + options.Value.AbsoluteTimeout, NeedsSecondFactor = needsSecondFactor,
            SecondFactorAt = secondFactorAt, UserAgent = userAgent is { Length: > 120 } ? userAgent[..120] : userAgent,
        }, cancellationToken);

    /// <summary>
    /// Gives <paramref name="current"/> a new id (at step-up, or when its factors change), keeping its org and its end.
    /// The old row goes first, under the ETag it was read with: a session revoked or changed meanwhile is not reborn
    /// under a new id (null then). The org it carries is the caller's to check again (a membership may change meanwhile).
    /// </summary>
    public async Task<ActiveSession?> RotateAsync(
        ActiveSession current, bool needsSecondFactor, DateTimeOffset? secondFactorAt, string? userAgent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var old = current.Row;
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        if (!await sessions.TryDeleteAsReadAsync(old, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var rotated = await AddAsync(new SignInSessionEntity
        {
            AccountId = old.AccountId, Method = old.Method, ExpiresAt = old.ExpiresAt, NeedsSecondFactor = needsSecondFactor, SecondFactorAt = secondFactorAt,
            OrgId = old.OrgId, MemberId = old.MemberId, Role = old.Role, UserAgent = userAgent is { Length: > 120 } ? userAgent[..120] : userAgent,
        }, cancellationToken).ConfigureAwait(false);
        var accounts = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        await accounts.DeleteEntityAsync(old.AccountId, SessionIndexEntity.Prefix + old.PartitionKey, ETag.All, cancellationToken).ConfigureAwait(false);
        return rotated;
    }

    /// <summary>
    /// Stores a new session under a fresh id: its index entry first, so every live row is one the person's revocations
    /// find.
    /// </summary>
    private async Task<ActiveSession> AddAsync(SignInSessionEntity row, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var token = SessionTokens.New();
        row.PartitionKey = SessionTokens.Hash(token)!;
        row.CreatedAt = now;
        row.LastSeenAt = now;

        var accounts = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        await accounts.UpsertEntityAsync(new SessionIndexEntity
        {
            PartitionKey = row.AccountId, RowKey = SessionIndexEntity.Prefix + row.PartitionKey, CreatedAt = now, OrgId = row.OrgId,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var added = await sessions.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
        row.ETag = added.Headers.ETag ?? ETag.All;

        await EnforceLimitAsync(row.AccountId, cancellationToken).ConfigureAwait(false);
        return new ActiveSession(token, row);
    }

    /// <summary>The live session behind a cookie value, or null (unknown, revoked, idle too long or past its end).</summary>
    public async Task<ActiveSession?> FindAsync(string? token, CancellationToken cancellationToken)
    {
        if (SessionTokens.Hash(token) is not { } hash)
        {
            return null;
        }

        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var found = await sessions.GetEntityIfExistsAsync<SignInSessionEntity>(hash, SignInSessionEntity.RowKeyValue, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!found.HasValue)
        {
            return null;
        }

        var row = found.Value!;
        var now = time.GetUtcNow();
        if (now >= row.ExpiresAt || now >= row.LastSeenAt + options.Value.IdleTimeout)
        {
            await RevokeAsync(row.AccountId, hash, cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (now - row.LastSeenAt >= TouchEvery)
        {
            row.LastSeenAt = now;
            var touch = new TableEntity(hash, SignInSessionEntity.RowKeyValue) { [nameof(SignInSessionEntity.LastSeenAt)] = now };
            try
            {
                var response = await sessions.UpdateEntityAsync(touch, row.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                row.ETag = response.Headers.ETag ?? row.ETag;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                // Another request touched it first, or it was revoked this instant: read it again.
                return await FindAgainAsync(token!, hash, cancellationToken).ConfigureAwait(false);
            }
        }

        return new ActiveSession(token!, row);
    }

    private async Task<ActiveSession?> FindAgainAsync(string token, string hash, CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var found = await sessions.GetEntityIfExistsAsync<SignInSessionEntity>(hash, SignInSessionEntity.RowKeyValue, cancellationToken: cancellationToken).ConfigureAwait(false);
        return found.HasValue ? new ActiveSession(token, found.Value!) : null;
    }

    /// <summary>Saves a change to the session (its org, its second factor); false when it was revoked or changed meanwhile.</summary>
    public async Task<bool> UpdateAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await sessions.UpdateEntityAsync(session.Row, session.Row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            session.Row.ETag = response.Headers.ETag ?? session.Row.ETag;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }

        var accounts = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        var index = new TableEntity(session.Row.AccountId, SessionIndexEntity.Prefix + session.Hash) { [nameof(SessionIndexEntity.OrgId)] = session.Row.OrgId };
        await accounts.UpsertEntityAsync(index, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Ends one session: its row first (so it stops working at once), then its index entry. Already gone is fine (the client answers 404 without throwing).</summary>
    public async Task RevokeAsync(string accountId, string sessionHash, CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        await sessions.DeleteEntityAsync(sessionHash, SignInSessionEntity.RowKeyValue, ETag.All, cancellationToken).ConfigureAwait(false);
        var accounts = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        await accounts.DeleteEntityAsync(accountId, SessionIndexEntity.Prefix + sessionHash, ETag.All, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The person's sessions, newest first; ended ones found on the way are cleaned up.</summary>
    public async Task<IReadOnlyList<SignInSessionEntity>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var live = new List<SignInSessionEntity>();
        var now = time.GetUtcNow();
        foreach (var entry in await IndexAsync(accountId, cancellationToken).ConfigureAwait(false))
        {
            var found = await sessions.GetEntityIfExistsAsync<SignInSessionEntity>(entry.SessionHash, SignInSessionEntity.RowKeyValue, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (found.HasValue && now < found.Value!.ExpiresAt && now < found.Value.LastSeenAt + options.Value.IdleTimeout)
            {
                live.Add(found.Value);
            }
            else
            {
                await RevokeAsync(accountId, entry.SessionHash, cancellationToken).ConfigureAwait(false);
            }
        }

        return [.. live.OrderByDescending(s => s.CreatedAt)];
    }

    /// <summary>
    /// Revokes the person's sessions, all of them or only those in <paramref name="org"/>, but never
    /// <paramref name="except"/>; returns how many. The org is read from each session's own row, not its index entry,
    /// which an org choice updates a moment later.
    /// </summary>
    public async Task<int> RevokeAllAsync(string accountId, OrgId? org, CancellationToken cancellationToken, string? except = null)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var revoked = 0;
        foreach (var entry in await IndexAsync(accountId, cancellationToken).ConfigureAwait(false))
        {
            if (entry.SessionHash == except)
            {
                continue;
            }

            if (org is not null && entry.OrgId != org.Value.Value)
            {
                var row = await sessions.GetEntityIfExistsAsync<SignInSessionEntity>(entry.SessionHash, SignInSessionEntity.RowKeyValue, select: ["OrgId"],
                        cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                if (row.HasValue && row.Value!.OrgId != org.Value.Value)
                {
                    continue;
                }
            }

            await RevokeAsync(accountId, entry.SessionHash, cancellationToken).ConfigureAwait(false);
            revoked++;
        }

        return revoked;
    }

    /// <summary>
    /// Revokes the org's sessions (the org is being deleted), or only those that showed no second factor (the org now
    /// requires one); returns how many.
    /// </summary>
    public async Task<int> RevokeOrgAsync(OrgId org, CancellationToken cancellationToken, bool onlyWithoutSecondFactor = false)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var inOrg = await sessions.QueryAsync<SignInSessionEntity>(TableClient.CreateQueryFilter($"OrgId eq {org.Value}"),
                select: ["PartitionKey", "AccountId", "SecondFactorAt"], cancellationToken: cancellationToken)
            .Where(s => !onlyWithoutSecondFactor || s.SecondFactorAt is null).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var row in inOrg)
        {
            await RevokeAsync(row.AccountId, row.PartitionKey, cancellationToken).ConfigureAwait(false);
        }

        return inOrg.Count;
    }

    /// <summary>Up to <paramref name="max"/> of the org's sessions that ended before <paramref name="cutoff"/> (for the retention sweep).</summary>
    public async Task<IReadOnlyList<SignInSessionEntity>> EndedBeforeAsync(OrgId org, DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        return await sessions.QueryAsync<SignInSessionEntity>(TableClient.CreateQueryFilter($"OrgId eq {org.Value} and ExpiresAt lt {cutoff}"),
                cancellationToken: cancellationToken)
            .Take(max).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes up to <paramref name="max"/> ended sessions that never chose an org (no org's period applies); returns how many.</summary>
    public async Task<int> DeleteEndedWithoutOrgAsync(int max, CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var ended = await sessions.QueryAsync<SignInSessionEntity>(TableClient.CreateQueryFilter($"ExpiresAt lt {time.GetUtcNow()}"),
                select: ["PartitionKey", "AccountId", "OrgId"], cancellationToken: cancellationToken)
            .Where(s => s.OrgId is null).Take(max).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var row in ended)
        {
            await RevokeAsync(row.AccountId, row.PartitionKey, cancellationToken).ConfigureAwait(false);
        }

        return ended.Count;
    }

    private async Task EnforceLimitAsync(string accountId, CancellationToken cancellationToken)
    {
        var index = await IndexAsync(accountId, cancellationToken).ConfigureAwait(false);
        foreach (var oldest in index.OrderBy(e => e.CreatedAt).Take(Math.Max(0, index.Count - options.Value.MaxSessionsPerPerson)))
        {
            await RevokeAsync(accountId, oldest.SessionHash, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<SessionIndexEntity>> IndexAsync(string accountId, CancellationToken cancellationToken)
    {
        var accounts = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and RowKey gt {SessionIndexEntity.Prefix} and RowKey lt {"ses`"}");
        return await accounts.QueryAsync<SessionIndexEntity>(filter, cancellationToken: cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
    }
}
