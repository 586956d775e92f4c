using Hiroi.Shared.Acs;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Telephony;

/// <summary>Why an SMS is sent. Only the compliance replies a person asked for may reach an opted-out number.</summary>
public enum SmsPurpose
{
    Conversation,
    Campaign,
    OptOutConfirmation,
    OptInConfirmation,
    HelpReply,
}

public enum SmsOutcome
{
    Sent,
    BlockedOptedOut,
    NotOurNumber,
    Rejected,
}

public sealed record OutboundSmsResult(SmsOutcome Outcome, string? MessageId = null);

/// <param name="Org">The org sending.</param>
/// <param name="From">One of the org's numbers.</param>
/// <param name="To">The recipient.</param>
/// <param name="Text">The message.</param>
/// <param name="Purpose">Why it is sent.</param>
/// <param name="IdempotencyKey">Stable key of this send (event id, campaign:contact:attempt); a retry reuses it and ACS sends once.</param>
/// <param name="FirstAttemptAt">When this send was first attempted.</param>
/// <param name="Tag">Returned by the delivery report.</param>
/// <param name="Role">Who wrote it, for the conversation (<see cref="MessageRoles"/>).</param>
/// <param name="WaitOutThrottling">False when the caller backs off by itself on a 429 (<see cref="SmsRequest.WaitOutThrottling"/>).</param>
public sealed record OutboundSmsRequest(
    OrgId Org, string From, string To, string Text, SmsPurpose Purpose, string IdempotencyKey, DateTimeOffset FirstAttemptAt, string? Tag = null,
    string? Role = null, bool WaitOutThrottling = true);

/// <summary>
/// The only way Hiroi sends an SMS. Right before sending it checks that the org owns the sender number and that the
/// recipient has not opted out (except for the confirmation or help reply the person just asked for), then records the
/// message in its conversation.
/// </summary>
public sealed class OutboundSms(
    IAcsClient acs, NumberRegistry numbers, OptOutRegistry optOuts, MessageRepository messages,
    TimeProvider time, ILogger<OutboundSms> logger)
{
    public async Task<OutboundSmsResult> SendAsync(OutboundSmsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await numbers.OwnerAsync(request.From, cancellationToken).ConfigureAwait(false) != request.Org)
        {
            logger.LogWarning("SMS refused: sender {From} is not a number of org {OrgId}", PhoneNumberMask.Mask(request.From), request.Org.Value);
            return new OutboundSmsResult(SmsOutcome.NotOurNumber);
        }

        var compliance = request.Purpose is SmsPurpose.OptOutConfirmation or SmsPurpose.OptInConfirmation or SmsPurpose.HelpReply;
        if (!compliance && await optOuts.IsOptedOutAsync(request.Org, request.To, cancellationToken).ConfigureAwait(false))
        {
            logger.LogInformation("SMS blocked: recipient {To} opted out of org {OrgId}", PhoneNumberMask.Mask(request.To), request.Org.Value);
            return new OutboundSmsResult(SmsOutcome.BlockedOptedOut);
        }

        var result = await acs.SendSmsAsync(new SmsRequest(
            request.From, request.To, request.Text, Idempotency.ToGuid(request.IdempotencyKey), request.FirstAttemptAt, request.Tag, request.WaitOutThrottling), cancellationToken)
            .ConfigureAwait(false);
        if (!result.Accepted || result.MessageId is null)
        {
            logger.LogWarning("ACS did not accept an SMS for org {OrgId}: {Status}", request.Org.Value, result.HttpStatusCode);
            return new OutboundSmsResult(SmsOutcome.Rejected);
        }

        var conversationId = ConversationRepository.IdFor(request.Org, request.From, request.To);
        var now = time.GetUtcNow();
        await messages.RecordOutboundAsync(request.Org, new MessageEntity
        {
            RowKey = MessageEntity.Key(result.MessageId),
            ConversationId = conversationId,
            Direction = Directions.Outbound,
            CustomerNumber = request.To,
            OurNumber = request.From,
            Text = request.Text,
            Purpose = request.Purpose.ToString(),
            Role = request.Role,
            Tag = request.Tag,
            At = now,
        }, new ConversationEntity
        {
            RowKey = conversationId, CustomerNumber = request.To, OurNumber = request.From, LastMessageAt = now,
        }, cancellationToken).ConfigureAwait(false);
        return new OutboundSmsResult(SmsOutcome.Sent, result.MessageId);
    }
}

public static class Idempotency
{
    /// <summary>A stable GUID for an idempotency key, for ACS's repeatability id (which must be a GUID).</summary>
    public static Guid ToGuid(string key)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5-style marker: name-based
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16));
    }
}
