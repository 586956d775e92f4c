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
public sealed class AuditEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public DateTimeOffset At { get; set; }
    public string Actor { get; set; } = string.Empty;
    public string Action { get; set; } = string.Empty;
    public string Target { get; set; } = string.Empty;
    public string? Detail { get; set; }
}

/// <summary>Which audit entries to list: a time range (inclusive, UTC), an actor id, an action name; each optional.</summary>
public sealed record AuditQuery(DateTimeOffset? From, DateTimeOffset? To, string? Actor, string? Action);

/// <summary>Writes and reads the org's audit trail. There is no update or delete here: entries are appended only.</summary>
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
    public async Task<(IReadOnlyList<AuditEntity> Entries, string? Next)> QueryAsync(OrgId org, AuditQuery query, int pageSize, string? continuation, CancellationToken cancellationToken)
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
}
