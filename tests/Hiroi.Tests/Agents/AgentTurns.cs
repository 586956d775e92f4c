using System.Text.Json;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Agents;

/// <summary>
/// The positive marker a test waits for before it shows that an agent did not (or did only once) answer: the turn of
/// the message is final. A turn is keyed by its message and replies before it ends, so once it has ended no other reply
/// to that message can come, on a fast machine or a slow one.
/// </summary>
public static class AgentTurns
{
    public static Task<AgentTurnEntity> EndedAsync(AgentTurnRepository turns, OrgId org, string messageId) =>
        Waits.UntilAsync(async () =>
                await turns.FindAsync(org, AgentTurnEntity.Key(MessageEntity.Key(messageId)), default) is { } turn && TurnStates.IsFinal(turn.State) ? turn : null,
            $"the agent's turn for message {messageId} to end");

    /// <summary>The ids of a conversation's messages from the customer (as the messages API lists them).</summary>
    public static IEnumerable<string> CustomerMessageIds(IEnumerable<JsonElement> messages) =>
        messages.Where(m => m.TryGetProperty("role", out var role) && role.GetString() == "customer").Select(m => m.GetProperty("id").GetString()!);
}
