using System.Globalization;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Audit;

/// <summary>
/// One append-only audit record: PartitionKey = org id, RowKey sorts newest first. Holds ids, never personal data.
/// </summary>
public sealed class AuditEntity : TableRow
{
    public DateTimeOffset At { get; set; }
    public string Actor { get; set; } = string.Empty;
    public string Action { get; set; } = string.Empty;
    public string Target { get; set; } = string.Empty;
    public string? Detail { get; set; }

    /// <summary>Set when the person (or the whole org) behind the entry was deleted; the entry expires a period later.</summary>
    public DateTimeOffset? AnonymizedAt { get; set; }
}

/// <summary>The audit rows as an org-scoped repository, for the retention sweep that expires anonymized entries.</summary>
public sealed class AuditRepository(HiroiTables tables) : OrgScopedRepository<AuditEntity>(tables, TableNames.Audit);

/// <summary>Which audit entries to list: a time range (inclusive, UTC), an actor id, an action name; each optional.</summary>
public sealed record AuditQuery(DateTimeOffset? From, DateTimeOffset? To, string? Actor, string? Action);

/// <summary>
/// Writes and reads the org's audit trail. Entries are appended only; the one change ever made to them is
/// <see cref="AnonymizeAsync"/> when the account behind them is deleted (the retention sweep removes them a period later).
/// </summary>
public sealed class AuditTrail(HiroiTables tables, TimeProvider time)
{
    public async Task RecordAsync(Caller caller, string action, string target, string? detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var at = time.GetUtcNow();
        var entity = new AuditEntity
        {
            PartitionKey = caller.OrgId.Value,
            RowKey = NewestFirstKey(at),
            At = at,
            Actor = caller.ActorId,
            Action = action,
            Target = target,
            Detail = detail,
        };
        var table = await tables.GetAsync(TableNames.Audit, cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One page of the org's audit trail, newest first, within [<paramref name="query"/>.From, .To] and with the given
    /// actor and action if set; the continuation token fetches the next page.
    /// </summary>
    public async Task<(IReadOnlyList<AuditEntity> Entries, string? Next)> QueryAsync(OrgId org, AuditQuery query, int pageSize, string? continuation,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}");
        if (query.To is { } to)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey ge {NewestFirstPrefix(to)}");
        }

        if (query.From is { } from)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey lt {NewestFirstPrefix(from.AddTicks(-1))}");
        }

        if (query.Actor is { } actor)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Actor eq {actor}");
        }

        if (query.Action is { } action)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Action eq {action}");
        }

        var table = await tables.GetAsync(TableNames.Audit, cancellationToken).ConfigureAwait(false);
        return await table.QueryAsync<AuditEntity>(filter, maxPerPage: pageSize, cancellationToken: cancellationToken).OnePageAsync(continuation, pageSize).ConfigureAwait(false);
    }

    public const string Anonymized = "anonymized";

    /// <summary>
    /// Removes who from the org's entries: those of one member (<paramref name="memberId"/>: their actor id and targets
    /// naming them), or all of them when it is null (the org was deleted: actors other than the platform's own jobs, and
    /// targets naming a member or a masked number). The action, time and counts stay, and the entries expire a period
    /// later. Idempotent: rerun after a crash, it finishes.
    /// </summary>
    public Task<int> AnonymizeAsync(OrgId org, string? memberId, CancellationToken cancellationToken)
    {
        if (memberId is null)
        {
            return AnonymizeWhereAsync(org, null, entry =>
            {
                entry.Actor = entry.Actor.StartsWith("system:", StringComparison.Ordinal) ? entry.Actor : Anonymized;
                entry.Target = AnonymousTarget(entry.Target);
            }, cancellationToken);
        }

        var member = "member:" + memberId;
        return AnonymizeWhereAsync(org, [TableClient.CreateQueryFilter($"Actor eq {member}"), TableClient.CreateQueryFilter($"Target eq {member}")], entry =>
        {
            entry.Actor = entry.Actor == member ? Anonymized : entry.Actor;
            entry.Target = entry.Target == member ? "member:" + Anonymized : entry.Target;
        }, cancellationToken);
    }

    /// <summary>Anonymizes the entries whose target is one of <paramref name="targets"/> (an erased person's masked numbers).</summary>
    public async Task<int> AnonymizeTargetsAsync(OrgId org, IReadOnlyCollection<string> targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var count = 0;
        foreach (var chunk in targets.Chunk(14)) // 15 comparisons per filter at most, the partition's included
        {
            count += await AnonymizeWhereAsync(org, chunk.Select(t => TableClient.CreateQueryFilter($"Target eq {t}")).ToList(),
                entry => entry.Target = AnonymousTarget(entry.Target), cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>Applies <paramref name="anonymize"/> to the org's entries matching any of <paramref name="anyOf"/> (all when null), 100 per transaction.</summary>
    private async Task<int> AnonymizeWhereAsync(OrgId org, IReadOnlyList<string>? anyOf, Action<AuditEntity> anonymize, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}");
        if (anyOf is not null)
        {
            filter += " and (" + string.Join(" or ", anyOf) + ")";
        }

        var table = await tables.GetAsync(TableNames.Audit, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var count = 0;
        var page = new List<TableTransactionAction>(100);
        await foreach (var entry in table.QueryAsync<AuditEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            anonymize(entry);
            entry.AnonymizedAt ??= now;
            page.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, entry, ETag.All));
            if (page.Count == 100)
            {
                await table.SubmitTransactionAsync(page, cancellationToken).ConfigureAwait(false);
                count += page.Count;
                page.Clear();
            }
        }

        if (page.Count > 0)
        {
            await table.SubmitTransactionAsync(page, cancellationToken).ConfigureAwait(false);
            count += page.Count;
        }

        return count;
    }

    private static string AnonymousTarget(string target)
    {
        var colon = target.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && target[..colon] is "member" or "phone" or "number" ? target[..(colon + 1)] + Anonymized : target;
    }

    private static string NewestFirstPrefix(DateTimeOffset at) =>
        (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    private static string NewestFirstKey(DateTimeOffset at) =>
        (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture)
        + "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}

/// <summary>Audit action names, stable strings that queries and reports depend on.</summary>
public static class AuditActions
{
    public const string OrgCreated = "org.created";
    public const string SignedIn = "signin.succeeded";
    public const string SignInFailed = "signin.failed";
    public const string SignedOut = "signin.signed_out";
    public const string SessionRevoked = "session.revoked";
    public const string TwoFactorEnabled = "2fa.enabled";
    public const string TwoFactorDisabled = "2fa.disabled";
    public const string RecoveryCodeUsed = "2fa.recovery_code_used";
    public const string PasskeyAdded = "passkey.added";
    public const string PasskeyRemoved = "passkey.removed";
    public const string AccountExported = "account.exported";
    public const string OrgTwoFactorChanged = "org.2fa_requirement_changed";
    public const string OrgDeletionRequested = "org.deletion_requested";
    public const string OrgPurged = "org.purged";
    public const string MemberAdded = "member.added";
    public const string MemberRoleChanged = "member.role_changed";
    public const string MemberRemoved = "member.removed";
    public const string ApiKeyCreated = "apikey.created";
    public const string ApiKeyRevoked = "apikey.revoked";
    public const string NumberRegistered = "number.registered";
    public const string NumberReleased = "number.released";
    public const string OptOutRecorded = "optout.recorded";
    public const string OptInRecorded = "optin.recorded";
    public const string ContactsImported = "contacts.imported";
    public const string DoNotContactAdded = "dnc.added";
    public const string DoNotContactRemoved = "dnc.removed";
    public const string CampaignCreated = "campaign.created";
    public const string CampaignCommand = "campaign.command";
    public const string RetentionChanged = "retention.changed";
    public const string RetentionDeleted = "retention.deleted";
    public const string SubjectExported = "privacy.exported";
    public const string SubjectErased = "privacy.erased";
    public const string RecordingPlayed = "recording.played";
    public const string AgentCreated = "agent.created";
    public const string AgentUpdated = "agent.updated";
    public const string AgentDeleted = "agent.deleted";
    public const string AgentTurnRefused = "agent.turn_refused";
    public const string AgentToolFailed = "agent.tool_failed";
    public const string AgentReplyFailed = "agent.reply_failed";
    public const string SignInMailFailed = "signin.mail_failed";
    public const string CallRefused = "call.refused";
    public const string UsageCapsChanged = "usage.caps_changed";
    public const string SecretCreated = "secret.created";
    public const string SecretUpdated = "secret.updated";
    public const string SecretDeleted = "secret.deleted";
    public const string SecretUsed = "secret.used";
    public const string WidgetKeyCreated = "widgetkey.created";
    public const string WidgetKeyRotated = "widgetkey.rotated";
    public const string WidgetKeyRevoked = "widgetkey.revoked";
    public const string WidgetSecretRotated = "widgetkey.secret_rotated";
}
