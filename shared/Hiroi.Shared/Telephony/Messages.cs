using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Telephony;

/// <summary>
/// One SMS, inbound or outbound: PartitionKey = org id, RowKey = <c>msg_</c> + ACS message id. Rows are written with
/// merges, so a delivery report that arrives before its send record and the send record itself both land whole.
/// </summary>
public sealed class MessageEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string? ConversationId { get; set; }
    public string? Direction { get; set; }
    public string? CustomerNumber { get; set; }
    public string? OurNumber { get; set; }
    public string? Text { get; set; }
    public string? Purpose { get; set; }
    public string? Tag { get; set; }
    public DateTimeOffset? At { get; set; }
    public string? DeliveryStatus { get; set; }
    public string? DeliveryDetails { get; set; }
    public DateTimeOffset? DeliveryReportedAt { get; set; }

    public static string Key(string acsMessageId) => "msg_" + acsMessageId;
}

/// <summary>A thread between one customer number and one of the org's numbers: PartitionKey = org id, RowKey = conversation id.</summary>
public sealed class ConversationEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerNumber { get; set; } = string.Empty;
    public string OurNumber { get; set; } = string.Empty;
    public DateTimeOffset LastMessageAt { get; set; }

    /// <summary>True when the customer's last message waits for the agent.</summary>
    public bool AwaitingAgent { get; set; }
}

public static class Directions
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";
}

public sealed class MessageRepository(HiroiTables tables) : OrgScopedRepository<MessageEntity>(tables, TableNames.Messages)
{
    /// <summary>Writes the given fields of a message, leaving the others as they are.</summary>
    public async Task MergeAsync(OrgId org, MessageEntity fields, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.PartitionKey = org.Value;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(fields, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<MessageEntity> InConversationAsync(OrgId org, string conversationId, CancellationToken cancellationToken) =>
        QueryAsync(org, $"ConversationId eq {conversationId}", cancellationToken);
}

public sealed class ConversationRepository(HiroiTables tables) : OrgScopedRepository<ConversationEntity>(tables, TableNames.Conversations)
{
    public static string IdFor(OrgId org, string ourNumber, string customerNumber) =>
        "conv_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{org.Value}\n{ourNumber}\n{customerNumber}")).AsSpan(0, 10));

    public async Task TouchAsync(OrgId org, ConversationEntity fields, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.PartitionKey = org.Value;
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(fields, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }
}
