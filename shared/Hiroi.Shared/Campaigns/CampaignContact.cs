using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Campaigns;

/// <summary>Where a contact is in a campaign. Open states have a <see cref="CampaignContactEntity.DueAt"/> when the step looks at them next.</summary>
public static class ContactStates
{
    /// <summary>Not tried yet.</summary>
    public const string Pending = "pending";

    /// <summary>A dispatch intent is recorded; the send may or may not have reached ACS (a rerun sends with the same key).</summary>
    public const string Dispatching = "dispatching";

    /// <summary>Sent; waiting for the delivery report or call outcome.</summary>
    public const string Awaiting = "awaiting";

    /// <summary>An attempt failed in a way the retry policy retries; due at the back-off time.</summary>
    public const string RetryWait = "retry-wait";

    /// <summary>Final: an outcome settled the last attempt.</summary>
    public const string Done = "done";

    /// <summary>Final: the policy gate or a missing prerequisite ruled it out.</summary>
    public const string Skipped = "skipped";

    public static readonly string[] All = [Pending, Dispatching, Awaiting, RetryWait, Done, Skipped];
}

public static class Outcomes
{
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Sent = "sent";
    public const string Answered = "answered";
    public const string NoAnswer = "no-answer";
    public const string Busy = "busy";
    public const string Declined = "declined";
    public const string Voicemail = "voicemail";
    public const string Rejected = "rejected";

    /// <summary>ACS refused the send, or it kept failing (<see cref="CampaignOptions.SendTries"/>): the contact's reason says why.</summary>
    public const string SendFailed = "send-failed";

    /// <summary>Outcomes the retry policy may name; a decline is never retried.</summary>
    public static readonly string[] Retryable = [Failed, NoAnswer, Busy, Voicemail, Rejected];
}

/// <summary>
/// One contact in one campaign: PartitionKey = org id + <c>_</c> + campaign id (one partition per campaign, so a page of
/// contacts is one query and enrollment batches are transactions), RowKey = the number (E.164).
/// </summary>
public sealed class CampaignContactEntity : TableRow
{
    public string? TimeZone { get; set; }
    public bool? SmsConsent { get; set; }
    public bool? CallConsent { get; set; }
    public string State { get; set; } = ContactStates.Pending;
    public bool Open { get; set; } = true;
    public DateTimeOffset DueAt { get; set; }
    public int Attempt { get; set; }
    public string? Sender { get; set; }
    public DateTimeOffset? IntentAt { get; set; }
    public DateTimeOffset? DispatchedAt { get; set; }
    public string? MessageId { get; set; }
    public string? CallId { get; set; }
    public string? Outcome { get; set; }
    public string? Reason { get; set; }
    public DateTimeOffset? SettledAt { get; set; }

    /// <summary>Sends of the current attempt that failed (ACS 429/5xx, a timeout); the attempt is given up after <see cref="CampaignOptions.SendTries"/>.</summary>
    public int SendFailures { get; set; }

    [IgnoreDataMember]
    public string Number => RowKey;

    /// <summary>The idempotency key of an attempt: ACS's repeatability id and operation context derive from it.</summary>
    public static string IntentKey(string campaignId, string e164, int attempt) => $"campaign:{campaignId}:{e164}:{attempt}";

    /// <summary>The tag an attempt's SMS carries, so its delivery report finds the campaign (no personal data in it).</summary>
    public static string Tag(string campaignId, int attempt) => $"{campaignId}:{attempt}";

    public static bool TryParseTag(string? tag, out string campaignId, out int attempt)
    {
        campaignId = string.Empty;
        attempt = 0;
        var parts = tag?.Split(':');
        if (parts is not [var id, var n] || !id.StartsWith("cmp_", StringComparison.Ordinal) || !int.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out attempt))
        {
            return false;
        }

        campaignId = id;
        return true;
    }
}

/// <summary>The contacts of the org's campaigns; the org id always comes from the caller and starts the partition key.</summary>
public sealed class CampaignContactRepository(HiroiTables tables)
{
    public static string Partition(OrgId org, string campaignId) => org.Value + "_" + campaignId;

    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.CampaignContacts, cancellationToken);

    public async Task<CampaignContactEntity?> FindAsync(OrgId org, string campaignId, string e164, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsAcceptable(campaignId) || !TableKeys.IsAcceptable(e164))
        {
            return null;
        }

        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<CampaignContactEntity>(Partition(org, campaignId), e164, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Open contacts due at or before <paramref name="now"/>, at most <paramref name="take"/>.</summary>
    public async Task<List<CampaignContactEntity>> DueAsync(OrgId org, string campaignId, DateTimeOffset now, int take, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(org, campaignId)} and Open eq true and DueAt le {now}");
        return await table.QueryAsync<CampaignContactEntity>(filter, maxPerPage: take, cancellationToken: cancellationToken)
            .Take(take).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The earliest due time among open contacts (null when none is open: the campaign is finished), and whether some
    /// contact waits for an outcome (which an event may settle any moment).
    /// </summary>
    public async Task<(DateTimeOffset? NextDue, bool Awaiting)> NextDueAsync(OrgId org, string campaignId, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(org, campaignId)} and Open eq true");
        DateTimeOffset? next = null;
        var awaiting = false;
        var columns = new[] { nameof(CampaignContactEntity.DueAt), nameof(CampaignContactEntity.State) };
        await foreach (var row in table.QueryAsync<CampaignContactEntity>(filter, select: columns, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            next = next is null || row.DueAt < next ? row.DueAt : next;
            awaiting |= row.State == ContactStates.Awaiting;
        }

        return (next, awaiting);
    }

    /// <summary>Every contact of the campaign with only the columns progress needs.</summary>
    public async IAsyncEnumerable<CampaignContactEntity> ListAsync(OrgId org, string campaignId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(org, campaignId)}");
        await foreach (var row in table.QueryAsync<CampaignContactEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }
    }

    /// <summary>Adds contacts not enrolled yet (100 per transaction); a contact enrolled before keeps its state.</summary>
    public async Task EnrollAsync(OrgId org, string campaignId, IReadOnlyList<CampaignContactEntity> contacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var partition = Partition(org, campaignId);
        foreach (var chunk in contacts.Chunk(100))
        {
            // Rows enrolled already (a rerun after a crash, or another worker) keep their state.
            await table.SubmitOrEachAsync(chunk.Select(c =>
            {
                c.PartitionKey = partition;
                return new TableTransactionAction(TableTransactionActionType.Add, c);
            }).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Replaces the rows under their ETags in one transaction (they share the campaign's partition); when one of them
    /// changed meanwhile, each is tried on its own (<see cref="Transactions.SubmitOrEachAsync"/>). Returns the rows written.
    /// </summary>
    public async Task<IReadOnlySet<ITableEntity>> TryReplaceManyAsync(OrgId org, string campaignId, IReadOnlyList<CampaignContactEntity> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var partition = Partition(org, campaignId);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        return await table.SubmitOrEachAsync(rows.Select(r =>
        {
            r.PartitionKey = partition;
            return new TableTransactionAction(TableTransactionActionType.UpdateReplace, r, r.ETag);
        }).ToList(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the row under its ETag; false when someone else changed it first (or it is gone).</summary>
    public async Task<bool> TryReplaceAsync(OrgId org, string campaignId, CampaignContactEntity contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        contact.PartitionKey = Partition(org, campaignId);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await table.UpdateEntityAsync(contact, contact.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            contact.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }
}
