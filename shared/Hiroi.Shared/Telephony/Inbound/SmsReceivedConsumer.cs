using Azure.Messaging.EventGrid.SystemEvents;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Events;
using Hiroi.Shared.Logging;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Telephony.Inbound;

/// <summary>
/// An SMS to one of our numbers. Opt-out keywords record an opt-out no campaign can override (one confirmation);
/// opt-in keywords re-subscribe only someone who opted out; HELP/INFO get the org's help text; everything else goes to the
/// conversation for the agent. Keyword messages never reach the agent, and no message text is logged.
/// </summary>
public sealed class SmsReceivedConsumer(
    NumberRegistry numbers, OptOutRegistry optOuts, OutboundSms outbound, MessageRepository messages, OrganizationRepository orgs, AgentRepository agents,
    IAgentReplies agentReplies, ILogger<SmsReceivedConsumer> logger) : ISelfDeduplicatingConsumer
{
    public string EventType => "Microsoft.Communication.SMSReceived";

    /// <summary>An ordinary message is one transaction keyed by its ACS message id; keywords send replies, so they are claimed.</summary>
    public bool DeduplicatesItself(InboundEvent inbound)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        try
        {
            return inbound.DataAs<AcsSmsReceivedEventData>() is { Message: { Length: <= EventFields.MaxSmsText } text, MessageId: var id }
                && TableKeys.IsAcceptable(id) && SmsKeywords.Classify(text) == SmsKeyword.None;
        }
        catch (MalformedEventException)
        {
            return false; // the claimed path reports it
        }
    }

    public Task HandleAsync(InboundEvent inbound, CancellationToken cancellationToken) => HandleCoreAsync(inbound, cancellationToken);

    public Task<bool> HandleUnclaimedAsync(InboundEvent inbound, CancellationToken cancellationToken) => HandleCoreAsync(inbound, cancellationToken);

    /// <summary>False only when the message had been stored before (a redelivery).</summary>
    private async Task<bool> HandleCoreAsync(InboundEvent inbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var data = inbound.DataAs<AcsSmsReceivedEventData>();
        if (!E164.TryNormalize(data.From, out var from) || !E164.TryNormalize(data.To, out var to) || data.Message is null)
        {
            throw new MalformedEventException("SMSReceived needs from, to, messageId and message");
        }

        EventFields.MessageId(data.MessageId, "SMSReceived");
        EventFields.Bounded(data.Message, EventFields.MaxSmsText, "SMSReceived message");

        if (await numbers.OwnerAsync(to, cancellationToken) is not { } org)
        {
            logger.LogWarning("SMS to {To}, a number no org owns: dropped", PhoneNumberMask.Mask(to));
            return true;
        }

        var caller = Caller.System(org, "sms-inbound");
        var keyword = SmsKeywords.Classify(data.Message);
        var word = data.Message.Trim().ToUpperInvariant();
        switch (keyword)
        {
            case SmsKeyword.OptOut:
                if (await optOuts.OptOutAsync(caller, from, OptOutSources.SmsKeyword, word, cancellationToken))
                {
                    await ReplyAsync(org, to, from, await OptOutTextAsync(org, cancellationToken), SmsPurpose.OptOutConfirmation, inbound, cancellationToken);
                }

                return true;
            case SmsKeyword.OptIn:
                if (await optOuts.OptInFromPersonAsync(caller, from, word, cancellationToken))
                {
                    await ReplyAsync(org, to, from, await OptInTextAsync(org, cancellationToken), SmsPurpose.OptInConfirmation, inbound, cancellationToken);
                    return true;
                }

                if (!SmsKeywords.IsOnlyConditionalOptIn(data.Message))
                {
                    return true;
                }

                break; // "yes" from someone subscribed is an answer in the conversation
            case SmsKeyword.Help:
                await ReplyAsync(org, to, from, await HelpTextAsync(org, cancellationToken), SmsPurpose.HelpReply, inbound, cancellationToken);
                return true;
        }

        var stored = await StoreForAgentAsync(org, from, to, data, inbound, cancellationToken);
        // Asked on a redelivery too: the first delivery may have stored the message and died before asking.
        if (await agents.ForNumberAsync(org, to, cancellationToken) is not null)
        {
            await agentReplies.RequestAsync(org, MessageEntity.Key(data.MessageId), cancellationToken);
        }

        return stored;
    }

    private Task<bool> StoreForAgentAsync(OrgId org, string from, string to, AcsSmsReceivedEventData data, InboundEvent inbound, CancellationToken cancellationToken)
    {
        var conversationId = ConversationRepository.IdFor(org, to, from);
        var at = data.ReceivedTimestamp ?? inbound.Time;
        return messages.AddInboundAsync(org, new MessageEntity
        {
            RowKey = MessageEntity.Key(data.MessageId),
            ConversationId = conversationId,
            Direction = Directions.Inbound,
            Role = MessageRoles.Customer,
            CustomerNumber = from,
            OurNumber = to,
            // PCI: a card number texted to us is masked before it is stored or reaches an agent.
            Text = CardNumbers.Mask(data.Message),
            At = at,
        }, new ConversationEntity
        {
            RowKey = conversationId, CustomerNumber = from, OurNumber = to, LastMessageAt = at, AwaitingAgent = true,
        }, cancellationToken);
    }

    private Task<OutboundSmsResult> ReplyAsync(OrgId org, string ourNumber, string customer, string text, SmsPurpose purpose, InboundEvent inbound,
        CancellationToken cancellationToken) =>
        outbound.SendAsync(new OutboundSmsRequest(org, ourNumber, customer, text, purpose, $"reply:{inbound.Source}:{inbound.Id}", inbound.Time), cancellationToken);

    private async Task<string> OrgNameAsync(OrgId org, CancellationToken cancellationToken) =>
        (await orgs.GetAsync(org, cancellationToken))?.Name ?? "This service";

    private async Task<string> OptOutTextAsync(OrgId org, CancellationToken cancellationToken) =>
        $"{await OrgNameAsync(org, cancellationToken)}: you are unsubscribed and will receive no further messages. Reply START to resubscribe.";

    private async Task<string> OptInTextAsync(OrgId org, CancellationToken cancellationToken) =>
        $"{await OrgNameAsync(org, cancellationToken)}: you are subscribed again. Reply STOP to unsubscribe, HELP for help.";

    private async Task<string> HelpTextAsync(OrgId org, CancellationToken cancellationToken) =>
        $"{await OrgNameAsync(org, cancellationToken)}: reply to this number to reach us. Reply STOP to unsubscribe. Msg & data rates may apply.";
}
