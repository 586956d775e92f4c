using System.ComponentModel.DataAnnotations;
using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Retention;

/// <summary>The kinds of personal data with a retention period of their own.</summary>
public static class DataKinds
{
    public const string Messages = "messages";
    public const string Calls = "calls";
    public const string Recordings = "recordings";
    public const string WidgetSessions = "widgetSessions";
    public const string AuthArtefacts = "authArtefacts";

    /// <summary>Audit entries anonymized after their account was deleted; the platform sets this period, not the org.</summary>
    public const string AnonymizedAudit = "anonymizedAudit";

    /// <summary>The kinds an org sets.</summary>
    public static readonly string[] All = [Messages, Calls, Recordings, WidgetSessions, AuthArtefacts];
}

/// <summary>Bounds and defaults of retention periods (<c>Hiroi:Retention</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Hiroi:Retention";

    [Range(1, 36_500)]
    public int DefaultDays { get; set; } = 90;

    /// <summary>No org may keep data for less (deleting sooner would break disputes and delivery reports).</summary>
    [Range(1, 36_500)]
    public int FloorDays { get; set; } = 1;

    /// <summary>No org may keep data for longer.</summary>
    [Range(1, 36_500)]
    public int CeilingDays { get; set; } = 3650;

    /// <summary>How long audit entries outlive the account (member or org) they were about, anonymized.</summary>
    [Range(1, 36_500)]
    public int AnonymizedAuditDays { get; set; } = 90;

    /// <summary>
    /// How long after an org deletion request its data is purged: at least the API key cache plus the number-owner cache,
    /// so no instance still admits a request or an event for the org once the purge starts.
    /// </summary>
    [Range(0, 86_400)]
    public int OrgPurgeDelaySeconds { get; set; } = 120;
}

/// <summary>An org's retention periods in days, per kind: PartitionKey = org id, RowKey = <c>retention</c> (in the orgs table).</summary>
public sealed class RetentionEntity() : TableRow(RowKeyValue)
{
    public const string RowKeyValue = "retention";

    public int? Messages { get; set; }
    public int? Calls { get; set; }
    public int? Recordings { get; set; }
    public int? WidgetSessions { get; set; }
    public int? AuthArtefacts { get; set; }
}

public sealed class RetentionRepository(HiroiTables tables) : OrgScopedRepository<RetentionEntity>(tables, TableNames.Orgs, RetentionEntity.RowKeyValue);

/// <summary>Reads an org's retention periods (the default where it set none) and changes them within bounds, audited.</summary>
public sealed class RetentionSettings(RetentionRepository rows, AuditTrail audit, IOptions<RetentionOptions> options)
{
    public RetentionOptions Bounds => options.Value;

    public async Task<IReadOnlyDictionary<string, int>> GetAsync(OrgId org, CancellationToken cancellationToken) =>
        Periods(await rows.FindAsync(org, RetentionEntity.RowKeyValue, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Sets the given periods (kinds not named keep theirs). Returns the error per kind when one is unknown or out of
    /// bounds, and then changes nothing.
    /// </summary>
    public async Task<(IReadOnlyDictionary<string, int>? Periods, IReadOnlyDictionary<string, string> Errors)> SetAsync(
        Caller caller, IReadOnlyDictionary<string, int> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(changes);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (kind, days) in changes)
        {
            if (kind == DataKinds.AnonymizedAudit)
            {
                errors[kind] = "is set by the platform (Hiroi__Retention__AnonymizedAuditDays)";
            }
            else if (!DataKinds.All.Contains(kind))
            {
                errors[kind] = "is not a kind of data (" + string.Join(", ", DataKinds.All) + ")";
            }
            else if (days < Bounds.FloorDays || days > Bounds.CeilingDays)
            {
                errors[kind] = $"must be {Bounds.FloorDays} to {Bounds.CeilingDays} days";
            }
        }

        if (errors.Count > 0 || changes.Count == 0)
        {
            return (errors.Count > 0 ? null : await GetAsync(caller.OrgId, cancellationToken).ConfigureAwait(false), errors);
        }

        var row = await rows.FindAsync(caller.OrgId, RetentionEntity.RowKeyValue, cancellationToken).ConfigureAwait(false) ?? new RetentionEntity();
        foreach (var (kind, days) in changes)
        {
            Set(row, kind, days);
        }

        await rows.UpsertBatchAsync(caller.OrgId, [row], TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.RetentionChanged, "retention",
            string.Join(' ', changes.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}d")), cancellationToken).ConfigureAwait(false);
        return (Periods(row), errors);
    }

    private Dictionary<string, int> Periods(RetentionEntity? row) => new(StringComparer.Ordinal)
    {
        [DataKinds.Messages] = row?.Messages ?? Bounds.DefaultDays,
        [DataKinds.Calls] = row?.Calls ?? Bounds.DefaultDays,
        [DataKinds.Recordings] = row?.Recordings ?? Bounds.DefaultDays,
        [DataKinds.WidgetSessions] = row?.WidgetSessions ?? Bounds.DefaultDays,
        [DataKinds.AuthArtefacts] = row?.AuthArtefacts ?? Bounds.DefaultDays,
        [DataKinds.AnonymizedAudit] = Bounds.AnonymizedAuditDays,
    };

    private static void Set(RetentionEntity row, string kind, int days)
    {
        switch (kind)
        {
            case DataKinds.Messages:
                row.Messages = days;
                break;
            case DataKinds.Calls:
                row.Calls = days;
                break;
            case DataKinds.Recordings:
                row.Recordings = days;
                break;
            case DataKinds.WidgetSessions:
                row.WidgetSessions = days;
                break;
            default:
                row.AuthArtefacts = days;
                break;
        }
    }
}
