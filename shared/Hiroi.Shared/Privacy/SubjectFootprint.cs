using Azure.Data.Tables;

namespace Hiroi.Shared.Privacy;

/// <summary>The person a GDPR request is about, by one identifier: an E.164 number or a normalized email.</summary>
public sealed record DataSubject(string? Phone, string? Email)
{
    public static DataSubject ByPhone(string e164) => new(e164, null);

    public static DataSubject ByEmail(string email) => new(null, email);
}

/// <summary>Kinds of rows held about a person, as the export names them.</summary>
public static class SubjectKinds
{
    public const string Contacts = "contacts";
    public const string CampaignContacts = "campaignContacts";
    public const string Conversations = "conversations";
    public const string Messages = "messages";
    public const string Calls = "calls";
    public const string CallIndex = "callIndex";
    public const string Recordings = "recordings";
    public const string OptOuts = "optOuts";
    public const string DoNotContact = "doNotContact";
    public const string Membership = "membership";
}

/// <summary>One stored row about the person: which kind it is, which table (logical name) holds it, and the row itself.</summary>
public sealed record FoundRow(string Kind, string Table, TableEntity Row);

/// <summary>
/// Everything an org holds about one person: their rows in every table, found from the identifier they gave and the
/// identifiers on the contact rows it matches (one hop: an email leads to its contacts' numbers, not further).
/// </summary>
public sealed class SubjectFootprint(IReadOnlyList<FoundRow> rows, IReadOnlySet<string> numbers, IReadOnlySet<string> emails)
{
    public IReadOnlyList<FoundRow> Rows { get; } = rows;

    public IReadOnlySet<string> Numbers { get; } = numbers;

    public IReadOnlySet<string> Emails { get; } = emails;

    public IEnumerable<FoundRow> OfKind(string kind) => Rows.Where(r => r.Kind == kind);

    /// <summary>
    /// How many rows of each kind the person has, for audit entries and receipts (counts only, never identifiers); call
    /// index rows are ours, not the person's, and are not counted.
    /// </summary>
    public Dictionary<string, int> Counts() =>
        Rows.Where(r => r.Kind != SubjectKinds.CallIndex).GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary><c>calls=1 contacts=2 …</c>, the audit entry's detail.</summary>
    public static string Describe(IReadOnlyDictionary<string, int> counts) =>
        string.Join(' ', counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c.Key}={c.Value}")));
}
