using Azure.Messaging.EventGrid.SystemEvents;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Events;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Telephony.Inbound;

/// <summary>
/// Records a delivery report on its message. Reports may arrive before the send record (the merge creates the row and the
/// send record fills in the rest) and out of order among themselves (an older report never overwrites a newer one).
/// A report of a campaign SMS (its tag names the campaign and attempt) also settles that attempt.
/// </summary>
public sealed class SmsDeliveryReportConsumer(
    NumberRegistry numbers, MessageRepository messages, CampaignOutcomes campaigns, ILogger<SmsDeliveryReportConsumer> logger)
    : IAcsEventConsumer
{
    public string EventType => "Microsoft.Communication.SMSDeliveryReportReceived";

    public async Task HandleAsync(InboundEvent inbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var data = inbound.DataAs<AcsSmsDeliveryReportReceivedEventData>();
        if (!E164.TryNormalize(data.From, out var ourNumber) || string.IsNullOrEmpty(data.DeliveryStatus))
        {
            throw new MalformedEventException("SMSDeliveryReportReceived needs from, messageId and deliveryStatus");
        }

        EventFields.MessageId(data.MessageId, "SMSDeliveryReportReceived");
        EventFields.Bounded(data.DeliveryStatus, EventFields.MaxShortText, "deliveryStatus");
        EventFields.Bounded(data.DeliveryStatusDetails, EventFields.MaxShortText, "deliveryStatusDetails");
        EventFields.Bounded(data.Tag, EventFields.MaxShortText, "tag");

        if (await numbers.OwnerAsync(ourNumber, cancellationToken) is not { } org)
        {
            logger.LogWarning("Delivery report for {From}, a number no org owns: dropped", PhoneNumberMask.Mask(ourNumber));
            return;
        }

        var reportedAt = data.ReceivedTimestamp ?? inbound.Time;
        await RecordOnMessageAsync(org, data, reportedAt, cancellationToken);
        if (E164.TryNormalize(data.To, out var recipient))
        {
            await campaigns.SettleAsync(org, data.Tag, recipient, CampaignOutcomes.FromDeliveryStatus(data.DeliveryStatus), cancellationToken);
        }
    }

    private async Task RecordOnMessageAsync(OrgId org, AcsSmsDeliveryReportReceivedEventData data, DateTimeOffset reportedAt, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var existing = await messages.FindAsync(org, MessageEntity.Key(data.MessageId), cancellationToken);
            if (existing?.DeliveryReportedAt >= reportedAt)
            {
                return; // a newer (or this same) report is already recorded
            }

            var row = existing ?? new MessageEntity { RowKey = MessageEntity.Key(data.MessageId) };
            row.DeliveryStatus = data.DeliveryStatus;
            row.DeliveryDetails = data.DeliveryStatusDetails;
            row.DeliveryReportedAt = reportedAt;
            row.Tag ??= data.Tag;
            row.At ??= reportedAt; // a report that arrives before its send record still dates the row, so retention finds it
            try
            {
                if (existing is null)
                {
                    await messages.AddAsync(org, row, cancellationToken);
                    return;
                }

                if (await messages.UpdateAsync(org, row, cancellationToken))
                {
                    return;
                }
            }
            catch (ConflictException)
            {
                // Raced with the send record or another report: read again.
            }
        }

        throw new TimeoutException("Delivery report kept conflicting; Event Grid will redeliver it.");
    }
}
