using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;

namespace Hiroi.Shared.Privacy;

/// <summary>The person a GDPR request is about, by one identifier: an E.164 number, a normalized email, or a widget visitor id.</summary>
public sealed record DataSubject(string? Phone, string? Email, string? VisitorId = null)
{
    public static DataSubject ByVisitor(string visitorId) => new(null, null, visitorId);

    public static DataSubject ByPhone(string e164) => new(e164, null);

    public static DataSubject ByEmail(string email) => new(null, email);
}

/// <summary>One stored row about the person and the <see cref="DataRegistry"/> kind it is.</summary>
public sealed record FoundRow(StoredKind Kind, TableEntity Row);

/// <summary>
/// Everything an org holds about one person: their rows in every table, found from the identifier they gave and the
/// identifiers on the contact rows it matches (one hop: an email leads to its contacts' numbers, not further).
/// </summary>
public sealed class SubjectFootprint(IReadOnlyList<FoundRow> rows, IReadOnlySet<string> numbers, IReadOnlySet<string> emails)
{
    public IReadOnlyList<FoundRow> Rows { get; } = rows;

    public IReadOnlySet<string> Numbers { get; } = numbers;

    public IReadOnlySet<string> Emails { get; } = emails;

    public IEnumerable<FoundRow> OfKind(StoredKind kind) => Rows.Where(r => r.Kind == kind);

    /// <summary>The rows that are the person's, not ours: index rows only find other rows and are neither counted nor exported.</summary>
    public IEnumerable<FoundRow> Theirs => Rows.Where(r => r.Kind.Partitioning != OrgPartitioning.IndexNamingOrg);

    /// <summary>
    /// How many rows of each kind the person has, for audit entries and receipts (counts only, never identifiers).
    /// </summary>
    public Dictionary<string, int> Counts() =>
        Theirs.GroupBy(r => r.Kind.Name).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary><c>calls=1 contacts=2 …</c>, the audit entry's detail.</summary>
    public static string Describe(IReadOnlyDictionary<string, int> counts) =>
        string.Join(' ', counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c.Key}={c.Value}")));
}
