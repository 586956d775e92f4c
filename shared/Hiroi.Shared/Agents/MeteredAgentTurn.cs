using Hiroi.Shared.Security;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>What one agent turn came to: the reply, or the cap that refused it, and what it cost.</summary>
/// <param name="ToolsCalled">The tools the model called, by name, in order (a name may repeat).</param>
public sealed record TurnOutcome(string? Text, CapRefusal? Refusal, long InputTokens, long OutputTokens, long CostMicroUsd, IReadOnlyList<string>? ToolsCalled = null);

/// <summary>
/// One agent turn on any channel: reserve against the caps (the org's, the agent's and, on the widget, the key's),
/// call the model with the agent's tools, settle with what it reported. The channel supplies the conversation and
/// delivers the reply.
/// </summary>
public sealed class MeteredAgentTurn(UsageMeter meter, IAgentChatClients chatClients, AgentToolbox toolbox, IOptions<AiOptions> options, TimeProvider time)
{
    public async Task<TurnOutcome> RunAsync(
        OrgId org, AgentEntity agent, string channel, IEnumerable<ChatMessage> conversation, CancellationToken cancellationToken, ScopeCaps? scope = null,
        IReadOnlyList<AIFunction>? channelTools = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var ai = options.Value;
        var price = ai.Models.GetValueOrDefault(agent.Model) ?? throw new InvalidOperationException($"Agent {agent.RowKey} names model {agent.Model}, which is no longer configured.");
        var prompt = new List<ChatMessage> { new(ChatRole.System, agent.Instructions) };
        // PCI: every channel masks card numbers when it stores a message; masked here again, so none reaches the model.
        prompt.AddRange(conversation.TakeLast(ai.HistoryMessages).Select(m => CardNumbers.Contains(m.Text) ? new ChatMessage(m.Role, CardNumbers.Mask(m.Text)) : m));
        // The channel's own tools (a call's transfer and hang-up) beside the tenant's HTTP tools.
        var tools = toolbox.For(agent, new ToolCallContext(Caller.System(org, "agent:" + agent.RowKey), agent.RowKey)).Concat(channelTools ?? []).ToList();
        var estimate = EstimatedTokens(prompt, tools) + ai.MaxOutputTokens;
        var (reservation, refusal) = await meter.TryReserveAsync(
            org, agent, channel, estimate, MicroUsd.Cost(price, estimate - ai.MaxOutputTokens, ai.MaxOutputTokens), time.GetUtcNow(), cancellationToken, scope).ConfigureAwait(false);
        if (reservation is null)
        {
            return new TurnOutcome(null, refusal, 0, 0, 0);
        }

        ChatResponse response;
        try
        {
            response = await chatClients.For(agent.Model).GetResponseAsync(
                prompt, new ChatOptions { ModelId = agent.Model, MaxOutputTokens = ai.MaxOutputTokens, Tools = [.. tools] }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await meter.ReleaseAsync(org, reservation, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var (input, output) = (response.Usage?.InputTokenCount ?? estimate, response.Usage?.OutputTokenCount ?? 0);
        var cost = MicroUsd.Cost(price, input, output);
        await meter.SettleAsync(org, reservation, input, output, cost, cancellationToken).ConfigureAwait(false);
        var text = CardNumbers.Mask(response.Text.Trim());
        var called = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.Name).ToList();
        return new TurnOutcome(text.Length == 0 ? null : text, null, input, output, cost, called);
    }

    private static long EstimatedTokens(List<ChatMessage> prompt, IReadOnlyList<AIFunction> tools) =>
        (prompt.Sum(m => (long)m.Text.Length) + tools.Sum(t => (long)t.Description.Length + t.JsonSchema.GetRawText().Length) + 3) / 4;
}
