using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>The customer message an agent turn answers.</summary>
public sealed record AgentTurnRequest(string OrgId, string MessageKey);

/// <summary>
/// Answers one customer SMS with the agent bound to the number it was sent to. The turn is keyed by the message, so it
/// replies once however often it runs; an opted-out customer is never answered (checked before any model call, and
/// again by <see cref="OutboundSms"/> right before sending); the caps are reserved before the model is called. The
/// reply is sent through the one SMS path and kept in the conversation as the agent's.
/// </summary>
public sealed class SmsAgentReply(
    AgentTurnRepository turns, MessageRepository messages, OptOutRegistry optOuts, AgentRepository agents, MeteredAgentTurn core,
    OutboundSms outbound, AuditTrail audit, IOptions<AiOptions> options, TimeProvider time, ILogger<SmsAgentReply> logger)
{
    public const string Channel = "sms";
    public const int MaxReplyLength = 1600;

    public async Task<string> RunAsync(AgentTurnRequest request, CancellationToken cancellationToken)
    {
        var (org, turn) = await OpenTurnAsync(request, cancellationToken).ConfigureAwait(false);
        if (TurnStates.IsFinal(turn.State))
        {
            return turn.State;
        }

        if (await messages.FindAsync(org, request.MessageKey, cancellationToken).ConfigureAwait(false) is not { CustomerNumber: { } customer, OurNumber: { } ours } message)
        {
            return await FinishAsync(org, turn, TurnStates.Skipped, "the message is gone", cancellationToken).ConfigureAwait(false);
        }

        if (await optOuts.IsOptedOutAsync(org, customer, cancellationToken).ConfigureAwait(false))
        {
            return await FinishAsync(org, turn, TurnStates.Skipped, "the customer opted out", cancellationToken).ConfigureAwait(false);
        }

        if (await agents.ForNumberAsync(org, ours, cancellationToken).ConfigureAwait(false) is not { } agent)
        {
            return await FinishAsync(org, turn, TurnStates.Skipped, "no agent answers this number", cancellationToken).ConfigureAwait(false);
        }

        turn.AgentId = agent.RowKey;
        var caller = Caller.System(org, "agent:" + agent.RowKey);
        var conversation = await ConversationAsync(org, message, cancellationToken).ConfigureAwait(false);
        var outcome = await core.RunAsync(org, agent, Channel, conversation, cancellationToken).ConfigureAwait(false);
        if (outcome.Refusal is { } refusal)
        {
            await RefuseAsync(org, caller, agent, message, refusal, request.MessageKey, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(org, turn, TurnStates.Refused, refusal.Reason, cancellationToken).ConfigureAwait(false);
        }

        (turn.InputTokens, turn.OutputTokens, turn.CostMicroUsd) = (outcome.InputTokens, outcome.OutputTokens, outcome.CostMicroUsd);
        if (outcome.Text is not { } text)
        {
            return await FinishAsync(org, turn, TurnStates.Skipped, "the model gave no text", cancellationToken).ConfigureAwait(false);
        }

        var sent = await outbound.SendAsync(new OutboundSmsRequest(
            org, ours, customer, text.Length > MaxReplyLength ? text[..MaxReplyLength] : text, SmsPurpose.Conversation,
            "agent-reply:" + request.MessageKey, turn.At, Role: MessageRoles.Agent), cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Agent {AgentId} turn for message {MessageKey}: {Outcome}, {Input}+{Output} tokens",
            agent.RowKey, request.MessageKey, sent.Outcome, outcome.InputTokens, outcome.OutputTokens);
        return sent.Outcome == SmsOutcome.Sent
            ? await FinishAsync(org, turn, TurnStates.Replied, null, cancellationToken).ConfigureAwait(false)
            : await FinishAsync(org, turn, TurnStates.Skipped, "the reply was not sent: " + sent.Outcome, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a turn whose every try failed: the turn row says failed with <paramref name="failure"/>, and the org's audit
    /// trail records it. A turn that ended meanwhile (its reply went out after all) keeps its state.
    /// </summary>
    public async Task<string> GiveUpAsync(AgentTurnRequest request, string failure, CancellationToken cancellationToken)
    {
        var (org, turn) = await OpenTurnAsync(request, cancellationToken).ConfigureAwait(false);
        if (TurnStates.IsFinal(turn.State))
        {
            return turn.State;
        }

        logger.LogWarning("Agent turn for message {MessageKey} failed after every try: {Failure}", request.MessageKey, failure);
        await audit.RecordAsync(Caller.System(org, "agent-reply"), AuditActions.AgentReplyFailed, "message:" + request.MessageKey, failure, cancellationToken)
            .ConfigureAwait(false);
        return await FinishAsync(org, turn, TurnStates.Failed, "the reply could not be sent: " + failure, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The turn's row for the request's message, started now or as an earlier try left it (a final state means it is done).</summary>
    private async Task<(OrgId Org, AgentTurnEntity Turn)> OpenTurnAsync(AgentTurnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!OrgId.TryParse(request.OrgId, out var org))
        {
            throw new ArgumentException("The turn names no org.", nameof(request));
        }

        return (org, await turns.StartAsync(org, request.MessageKey, Channel, time.GetUtcNow(), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Why a try failed, safe to keep: the ACS client's own message (it never holds a number or text, and names the
    /// status), else only the exception's type.
    /// </summary>
    public static string FailureOf(string errorType, string? message) =>
        message is not null && message.StartsWith("ACS ", StringComparison.Ordinal) && message.Length <= 200 ? message : errorType;

    /// <summary>The conversation up to the message (customer as user, agent and campaign texts as assistant), oldest first.</summary>
    private async Task<List<ChatMessage>> ConversationAsync(OrgId org, MessageEntity message, CancellationToken cancellationToken)
    {
        var history = await messages.InConversationAsync(org, message.ConversationId!, cancellationToken)
            .Where(m => m.Role != MessageRoles.System && m.At <= message.At && !string.IsNullOrEmpty(m.Text))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. history.OrderBy(m => m.At).Select(m => new ChatMessage(m.Direction == Directions.Inbound ? ChatRole.User : ChatRole.Assistant, m.Text))];
    }

    /// <summary>A refused turn leaves a note in the conversation (never sent), an audit entry, and the fallback text if one is set.</summary>
    private async Task RefuseAsync(OrgId org, Caller caller, AgentEntity agent, MessageEntity message, CapRefusal refusal, string messageKey, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await messages.RecordOutboundAsync(org, new MessageEntity
        {
            RowKey = MessageEntity.Key("note_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageKey)).AsSpan(0, 12))),
            ConversationId = message.ConversationId, Direction = Directions.Internal, Role = MessageRoles.System,
            CustomerNumber = message.CustomerNumber, OurNumber = message.OurNumber, Text = $"Agent turn refused: {refusal.Reason}.", At = now,
        }, new ConversationEntity { RowKey = message.ConversationId!, CustomerNumber = message.CustomerNumber!, OurNumber = message.OurNumber!, LastMessageAt = now },
            cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.AgentTurnRefused, "agent:" + agent.RowKey, refusal.Reason, cancellationToken).ConfigureAwait(false);
        if (options.Value.CapFallbackText is { Length: > 0 } fallback)
        {
            await outbound.SendAsync(new OutboundSmsRequest(
                org, message.OurNumber!, message.CustomerNumber!, fallback, SmsPurpose.Conversation, "agent-fallback:" + messageKey, now, Role: MessageRoles.System),
                cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> FinishAsync(OrgId org, AgentTurnEntity turn, string state, string? reason, CancellationToken cancellationToken)
    {
        await turns.FinishAsync(org, turn, state, reason, cancellationToken).ConfigureAwait(false);
        return state;
    }
}
