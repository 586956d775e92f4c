using Azure.Data.Tables;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Privacy;

/// <summary>
/// Finds everything one org holds about a person (<see cref="SubjectFootprint"/>), for export and erasure. Every query
/// is in the org's partitions: its own partition of each table, the partitions of its own campaigns, and the call index
/// rows of its own calls (checked to name the org).
/// </summary>
/// <remarks>
/// Messages and calls are found by a filter over the org's partition (no index by number): an erasure reads the org's
/// message history once. That is the price of keeping the busy write path to one transaction.
/// </remarks>
public sealed class SubjectFinder(HiroiTables tables, SubjectKeys subjects, CampaignRepository campaigns)
{
    // Azure Table Storage allows 15 comparisons per filter: the partition term and 14 alternatives.
    private const int OrChunk = 14;

    public async Task<SubjectFootprint> FindAsync(OrgId org, DataSubject subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var rows = new List<FoundRow>();
        var (numbers, emails) = await FindContactsAsync(org, subject, rows, cancellationToken).ConfigureAwait(false);
        foreach (var e164 in numbers)
        {
            await FindByNumberAsync(org, e164, rows, cancellationToken).ConfigureAwait(false);
        }

        await FindCampaignContactsAsync(org, numbers, rows, cancellationToken).ConfigureAwait(false);
        await FindRecordingsAndIndexAsync(org, rows, cancellationToken).ConfigureAwait(false);
        foreach (var email in emails)
        {
            await AddPointAsync(rows, SubjectKinds.Membership, TableNames.Members, org.Value, MemberEmails.MemberId(org, email), cancellationToken).ConfigureAwait(false);
        }

        return new SubjectFootprint(rows, numbers, emails);
    }

    /// <summary>
    /// The person's identifiers and contact rows: the identifier given, plus the identifiers on the contact rows it
    /// matches (an email's numbers, a number's email), one hop only, so a shared email or number on someone else's row
    /// does not pull that person in further. Then every contact row carrying any of those identifiers.
    /// </summary>
    private async Task<(IReadOnlySet<string> Numbers, IReadOnlySet<string> Emails)> FindContactsAsync(
        OrgId org, DataSubject subject, List<FoundRow> rows, CancellationToken cancellationToken)
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

        foreach (var row in await ContactsWithAsync(org, numbers, emails, cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("Number") is { } n)
            {
                numbers.Add(n);
            }

            if (row.GetString("Email") is { } e)
            {
                emails.Add(e);
            }
        }

        rows.AddRange((await ContactsWithAsync(org, numbers, emails, cancellationToken).ConfigureAwait(false))
            .Select(row => new FoundRow(SubjectKinds.Contacts, TableNames.Contacts, row)));
        return (numbers, emails);
    }

    private async Task<List<TableEntity>> ContactsWithAsync(OrgId org, IReadOnlySet<string> numbers, IReadOnlySet<string> emails, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(TableNames.Contacts, cancellationToken).ConfigureAwait(false);
        var clauses = numbers.Select(n => TableClient.CreateQueryFilter($"Number eq {n}"))
            .Concat(emails.Select(e => TableClient.CreateQueryFilter($"Email eq {e}"))).ToList();
        var found = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        foreach (var chunk in clauses.Chunk(OrChunk))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}") + " and (" + string.Join(" or ", chunk) + ")";
            await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                found.TryAdd(row.RowKey, row);
            }
        }

        return [.. found.Values];
    }

    private async Task FindByNumberAsync(OrgId org, string e164, List<FoundRow> rows, CancellationToken cancellationToken)
    {
        var byCustomer = TableClient.CreateQueryFilter($"PartitionKey eq {org.Value} and CustomerNumber eq {e164}");
        var messages = await tables.GetAsync(TableNames.Messages, cancellationToken).ConfigureAwait(false);
        await foreach (var row in messages.QueryAsync<TableEntity>(byCustomer, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new FoundRow(row.RowKey.StartsWith("conv_", StringComparison.Ordinal) ? SubjectKinds.Conversations : SubjectKinds.Messages, TableNames.Messages, row));
        }

        var calls = await tables.GetAsync(TableNames.Calls, cancellationToken).ConfigureAwait(false);
        await foreach (var row in calls.QueryAsync<TableEntity>(byCustomer, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new FoundRow(SubjectKinds.Calls, TableNames.Calls, row));
        }

        var key = await subjects.ForAsync(org, e164, cancellationToken).ConfigureAwait(false);
        await AddPointAsync(rows, SubjectKinds.OptOuts, TableNames.OptOuts, org.Value, key, cancellationToken).ConfigureAwait(false);
        await AddPointAsync(rows, SubjectKinds.DoNotContact, TableNames.DoNotContact, org.Value, key, cancellationToken).ConfigureAwait(false);
    }

    private async Task FindCampaignContactsAsync(OrgId org, IReadOnlySet<string> numbers, List<FoundRow> rows, CancellationToken cancellationToken)
    {
        if (numbers.Count == 0)
        {
            return;
        }

        await foreach (var campaign in campaigns.ListAsync(org, cancellationToken).ConfigureAwait(false))
        {
            foreach (var e164 in numbers)
            {
                await AddPointAsync(rows, SubjectKinds.CampaignContacts, TableNames.CampaignContacts, CampaignContactRepository.Partition(org, campaign.RowKey), e164, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
    }

    /// <summary>The recordings of the person's calls, and the index rows that find those calls by ACS's server call id.</summary>
    private async Task FindRecordingsAndIndexAsync(OrgId org, List<FoundRow> rows, CancellationToken cancellationToken)
    {
        var calls = rows.Where(r => r.Kind == SubjectKinds.Calls).Select(r => r.Row).ToList();
        var recordings = await tables.GetAsync(TableNames.Recordings, cancellationToken).ConfigureAwait(false);
        foreach (var chunk in calls.Chunk(OrChunk))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org.Value}") + " and ("
                + string.Join(" or ", chunk.Select(c => TableClient.CreateQueryFilter($"CallId eq {c.RowKey}"))) + ")";
            await foreach (var row in recordings.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new FoundRow(SubjectKinds.Recordings, TableNames.Recordings, row));
            }
        }

        var index = await tables.GetAsync(TableNames.CallIndex, cancellationToken).ConfigureAwait(false);
        foreach (var call in calls)
        {
            if (call.GetString(nameof(CallEntity.ServerCallId)) is not { } serverCallId)
            {
                continue;
            }

            var row = await index.GetEntityIfExistsAsync<TableEntity>(CallIndexEntity.KeyFor(serverCallId), "call", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (row.HasValue && row.Value!.GetString(nameof(CallIndexEntity.OrgId)) == org.Value)
            {
                rows.Add(new FoundRow(SubjectKinds.CallIndex, TableNames.CallIndex, row.Value));
            }
        }
    }

    private async Task AddPointAsync(List<FoundRow> rows, string kind, string tableName, string partition, string rowKey, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsAcceptable(rowKey))
        {
            return;
        }

        var table = await tables.GetAsync(tableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (row.HasValue)
        {
            rows.Add(new FoundRow(kind, tableName, row.Value!));
        }
    }
}
