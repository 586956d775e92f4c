using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Caching.Memory;

namespace Hiroi.Shared.Telephony;

/// <summary>
/// One SMS, inbound or outbound: PartitionKey = org id, RowKey = <c>msg_</c> + ACS message id. Rows are written with
/// merges, so a delivery report that arrives before its send record and the send record itself both land whole.
/// </summary>
public sealed class MessageEntity : TableRow
{
    public string? ConversationId { get; set; }
    public string? Direction { get; set; }
    public string? CustomerNumber { get; set; }
    public string? OurNumber { get; set; }
    public string? Text { get; set; }
    public string? Purpose { get; set; }

    /// <summary>Who wrote it (<see cref="MessageRoles"/>): the customer, the org's agent, or the platform (a note that is never sent).</summary>
    public string? Role { get; set; }
    public string? Tag { get; set; }
    public DateTimeOffset? At { get; set; }
    public string? DeliveryStatus { get; set; }
    public string? DeliveryDetails { get; set; }
    public DateTimeOffset? DeliveryReportedAt { get; set; }

    public static string Key(string acsMessageId) => "msg_" + acsMessageId;
}

/// <summary>
/// A thread between one customer number and one of the org's numbers: PartitionKey = org id, RowKey = conversation id
/// (<c>conv_</c>...). It lives in the messages table so a message and its conversation are written in one transaction.
/// </summary>
public sealed class ConversationEntity : TableRow
{
    public string CustomerNumber { get; set; } = string.Empty;
    public string OurNumber { get; set; } = string.Empty;
    public DateTimeOffset LastMessageAt { get; set; }

    /// <summary>True when the customer's last message waits for the agent.</summary>
    public bool AwaitingAgent { get; set; }
}

public static class MessageRoles
{
    public const string Customer = "customer";
    public const string Agent = "agent";
    public const string System = "system";
}

public static class Directions
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    /// <summary>A note of the platform's in the conversation, never sent.</summary>
    public const string Internal = "internal";
}

public sealed class MessageRepository(HiroiTables tables) : OrgScopedRepository<MessageEntity>(tables, TableNames.Messages, "msg_"), IDisposable
{
    private readonly MemoryCache _conversations = new(new MemoryCacheOptions { SizeLimit = 50_000 });

    public void Dispose() => _conversations.Dispose();

    /// <summary>
    /// Stores a customer's message and flags its conversation in one transaction. The message's key is its ACS id, so a
    /// redelivered event finds it taken: nothing is written and the answer is false. The conversation's last-message
    /// time only moves forward (a late delivery of an older message still flags it): the write is conditional on the
    /// version we last saw, remembered per conversation so the busy path needs no read; a stale version is read again.
    /// </summary>
    public async Task<bool> AddInboundAsync(OrgId org, MessageEntity message, ConversationEntity conversation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(conversation);
        message.PartitionKey = conversation.PartitionKey = org.Value;
        var cacheKey = org.Value + "/" + conversation.RowKey;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        _conversations.TryGetValue<ConversationVersion>(cacheKey, out var seen);
        for (var attempt = 1; ; attempt++)
        {
            var touch = seen is null
                ? new TableTransactionAction(TableTransactionActionType.Add, conversation)
                : new TableTransactionAction(TableTransactionActionType.UpdateMerge, Later(seen.LastMessageAt, conversation), seen.ETag);
            try
            {
                var responses = await table.SubmitTransactionAsync(
                    [new TableTransactionAction(TableTransactionActionType.Add, message), touch], cancellationToken).ConfigureAwait(false);
                var written = new ConversationVersion(responses.Value[1].Headers.ETag ?? default, conversation.LastMessageAt);
                _conversations.Set(cacheKey, written, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(10) });
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex == 0)
            {
                return false;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 or 404)
            {
                if (attempt == MaxConversationAttempts)
                {
                    // A conversation this busy is a burst, not a fault: transient, so the sender (Event Grid) retries.
                    throw new TimeoutException($"The conversation kept changing over {MaxConversationAttempts} attempts.", e);
                }

                // Someone else wrote the conversation since we last saw it (or it is new to us): back off, read it, go again.
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken).ConfigureAwait(false);
                var current = await table.GetEntityIfExistsAsync<ConversationEntity>(org.Value, conversation.RowKey, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                seen = current.HasValue ? new ConversationVersion(current.Value!.ETag, current.Value.LastMessageAt) : null;
            }
        }
    }

    private const int MaxConversationAttempts = 8;

    private static ConversationEntity Later(DateTimeOffset seen, ConversationEntity incoming)
    {
        incoming.LastMessageAt = incoming.LastMessageAt > seen ? incoming.LastMessageAt : seen;
        return incoming;
    }

    private sealed record ConversationVersion(ETag ETag, DateTimeOffset LastMessageAt);

    /// <summary>
    /// Records a message we sent and moves its conversation on, in one transaction. Both are merges: a delivery report
    /// that arrived first keeps its fields, and a repeat of the same send writes the same values again.
    /// </summary>
    public async Task RecordOutboundAsync(OrgId org, MessageEntity message, ConversationEntity conversation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(conversation);
        message.PartitionKey = conversation.PartitionKey = org.Value;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpsertMerge, message),
                new TableTransactionAction(TableTransactionActionType.UpsertMerge, conversation),
            ], cancellationToken).ConfigureAwait(false);
        _conversations.Remove(org.Value + "/" + conversation.RowKey); // its version changed
    }

    public IAsyncEnumerable<MessageEntity> InConversationAsync(OrgId org, string conversationId, CancellationToken cancellationToken) =>
        QueryAsync(org, $"ConversationId eq {conversationId}", cancellationToken);
}

public sealed class ConversationRepository(HiroiTables tables) : OrgScopedRepository<ConversationEntity>(tables, TableNames.Messages, "conv_")
{
    public static string IdFor(OrgId org, string ourNumber, string customerNumber) =>
        "conv_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{org.Value}\n{ourNumber}\n{customerNumber}")).AsSpan(0, 10));
}
