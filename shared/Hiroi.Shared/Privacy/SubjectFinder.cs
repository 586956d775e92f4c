using Azure.Data.Tables;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Privacy;

/// <summary>
/// Finds everything one org holds about a person (<see cref="SubjectFootprint"/>), for export and erasure, by walking
/// the personal kinds of <see cref="DataRegistry"/> with each kind's <see cref="SubjectLookup"/>. Every query is in the
/// org's partitions: its own partition of each table, the partitions of its own campaigns, and the index rows of its own
/// calls (checked to name the org).
/// </summary>
/// <remarks>
/// Messages, calls and campaign enrolments are found by a filter over the org's partitions (no index by number): an
/// erasure reads them once. That is the price of keeping the busy write paths to one transaction.
/// </remarks>
public sealed class SubjectFinder(HiroiTables tables, SubjectKeys subjects)
{
    // Azure Table Storage allows 15 comparisons per filter: up to 3 for the partition and key range, 12 alternatives.
    private const int OrChunk = 12;

    public async Task<SubjectFootprint> FindAsync(OrgId org, DataSubject subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var (numbers, emails) = await IdentifiersAsync(org, subject, cancellationToken).ConfigureAwait(false);
        IReadOnlySet<string> visitors = subject.VisitorId is { } visitor ? new HashSet<string>(StringComparer.Ordinal) { visitor } : new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<FoundRow>();
        // Kinds found from the person's identifiers first, then the kinds found from the person's calls.
        foreach (var kind in DataRegistry.Personal.OrderBy(k => k.Lookup is SubjectLookup.CallIdOfFoundCalls or SubjectLookup.IndexOfFoundCalls))
        {
            var calls = rows.Where(r => r.Kind == DataRegistry.Calls).Select(r => r.Row).ToList();
            rows.AddRange(await FindAsync(org, kind, numbers, emails, visitors, calls, cancellationToken).ConfigureAwait(false));
        }

        return new SubjectFootprint(rows, numbers, emails);
    }

    private Task<List<FoundRow>> FindAsync(
        OrgId org, StoredKind kind, IReadOnlySet<string> numbers, IReadOnlySet<string> emails, IReadOnlySet<string> visitors, List<TableEntity> calls,
        CancellationToken cancellationToken) =>
        kind.Lookup switch
        {
            SubjectLookup.ContactIdentifiers => WhereAnyAsync(org, kind, ContactClauses(numbers, emails), cancellationToken),
            SubjectLookup.CustomerNumber => WhereAnyAsync(org, kind, numbers.Select(n => TableClient.CreateQueryFilter($"CustomerNumber eq {n}")), cancellationToken),
            SubjectLookup.CallIdOfFoundCalls => WhereAnyAsync(org, kind, calls.Select(c => TableClient.CreateQueryFilter($"CallId eq {c.RowKey}")), cancellationToken),
            SubjectLookup.NumberInEachPartition => WhereAnyAsync(org, kind, numbers.Select(n => TableClient.CreateQueryFilter($"RowKey eq {n}")), cancellationToken),
            SubjectLookup.NumberPseudonym => PointsAsync(org, kind, numbers, n => subjects.ForAsync(org, n, cancellationToken), cancellationToken),
            SubjectLookup.MemberEmail => PointsAsync(org, kind, emails, e => Task.FromResult(MemberEmails.MemberId(org, e)), cancellationToken),
            SubjectLookup.IndexOfFoundCalls => IndexRowsAsync(org, kind, calls, cancellationToken),
            SubjectLookup.WidgetVisitor => WhereAnyAsync(org, kind,
                visitors.Select(v => TableClient.CreateQueryFilter($"VisitorId eq {v}"))
                    .Concat(emails.Select(e => TableClient.CreateQueryFilter($"Email eq {e}"))), cancellationToken),
            _ => Task.FromResult(new List<FoundRow>()),
        };

    /// <summary>
    /// The person's identifiers: the one given, plus the identifiers on the contact rows it matches (an email's numbers,
    /// a number's email), one hop only, so a shared email or number on someone else's row does not pull that person in further.
    /// </summary>
    private async Task<(IReadOnlySet<string> Numbers, IReadOnlySet<string> Emails)> IdentifiersAsync(OrgId org, DataSubject subject, CancellationToken cancellationToken)
    {
        var numbers = new HashSet<string>(StringComparer.Ordinal);
        var emails = new HashSet<string>(StringComparer.Ordinal);
        if (subject.Phone is not null)
        {
            numbers.Add(subject.Phone);
        }

        if (subject.Email is not null)
        {
            emails.Add(subject.Email);
        }

        foreach (var found in await WhereAnyAsync(org, DataRegistry.Contacts, ContactClauses(numbers, emails), cancellationToken).ConfigureAwait(false))
        {
            if (found.Row.GetString("Number") is { } n)
            {
                numbers.Add(n);
            }

            if (found.Row.GetString("Email") is { } e)
            {
                emails.Add(e);
            }
        }

        return (numbers, emails);
    }

    private static IEnumerable<string> ContactClauses(IReadOnlySet<string> numbers, IReadOnlySet<string> emails) =>
        numbers.Select(n => TableClient.CreateQueryFilter($"Number eq {n}")).Concat(emails.Select(e => TableClient.CreateQueryFilter($"Email eq {e}")));

    /// <summary>The kind's rows of the org (its key range) matching any of the clauses, queried a chunk of clauses at a time.</summary>
    private async Task<List<FoundRow>> WhereAnyAsync(OrgId org, StoredKind kind, IEnumerable<string> clauses, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(kind.Table, cancellationToken).ConfigureAwait(false);
        var found = new Dictionary<(string, string), FoundRow>();
        foreach (var chunk in clauses.Chunk(OrChunk))
        {
            var filter = OrgRange(org, kind) + " and (" + string.Join(" or ", chunk) + ")";
            await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                found.TryAdd((row.PartitionKey, row.RowKey), new FoundRow(kind, row));
            }
        }

        return [.. found.Values];
    }

    private static string OrgRange(OrgId org, StoredKind kind) => kind switch
    {
        { Partitioning: OrgPartitioning.OrgPrefixed } =>
            TableClient.CreateQueryFilter($"PartitionKey gt {org.Value + "_"} and PartitionKey lt {org.Value + "`"}"),
        { RowKeyPrefix: { } prefix } =>
            TableClient.CreateQueryFilter($"PartitionKey eq {org.Value} and RowKey ge {prefix} and RowKey lt {prefix + "~"}"),
        _ => TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}"),
    };

    /// <summary>Point reads in the org's partition of the rows keyed by each identifier (as <paramref name="rowKey"/> derives the key).</summary>
    private async Task<List<FoundRow>> PointsAsync(
        OrgId org, StoredKind kind, IEnumerable<string> identifiers, Func<string, Task<string>> rowKey, CancellationToken cancellationToken)
    {
        var found = new List<FoundRow>();
        foreach (var identifier in identifiers)
        {
            if (await PointAsync(kind, org.Value, await rowKey(identifier).ConfigureAwait(false), cancellationToken).ConfigureAwait(false) is { } row)
            {
                found.Add(new FoundRow(kind, row));
            }
        }

        return found;
    }

    /// <summary>The index rows that find the person's calls by ACS's server call id, where they name this org.</summary>
    private async Task<List<FoundRow>> IndexRowsAsync(OrgId org, StoredKind kind, List<TableEntity> calls, CancellationToken cancellationToken)
    {
        var found = new List<FoundRow>();
        foreach (var serverCallId in calls.Select(c => c.GetString(nameof(CallEntity.ServerCallId))).OfType<string>())
        {
            var row = await PointAsync(kind, CallIndexEntity.KeyFor(serverCallId), "call", cancellationToken).ConfigureAwait(false);
            if (row?.GetString(nameof(CallIndexEntity.OrgId)) == org.Value)
            {
                found.Add(new FoundRow(kind, row));
            }
        }

        return found;
    }

    private async Task<TableEntity?> PointAsync(StoredKind kind, string partition, string rowKey, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsAcceptable(rowKey))
        {
            return null;
        }

        var table = await tables.GetAsync(kind.Table, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }
}
