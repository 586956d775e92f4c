using Hiroi.Shared.Security;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>What one agent turn came to: the reply, or the cap that refused it, and what it cost.</summary>
/// <param name="ToolsCalled">The tools the model called, by name, in order (a name may repeat).</param>
public sealed record TurnOutcome(string? Text, CapRefusal? Refusal, long InputTokens, long OutputTokens, long CostMicroUsd, IReadOnlyList<string>? ToolsCalled = null);

/// <summary>
/// One agent turn on any channel: the model with the agent's tools, at most <see cref="AiOptions.MaxToolRounds"/> tool
/// rounds, every call of it reserved against the caps (the org's, the agent's and, on the widget, the key's) before it
/// is made and settled after (<see cref="TurnMeter"/>). A cap reached mid-turn stops the turn there. The channel supplies
/// the conversation and delivers the reply.
/// </summary>
public sealed class MeteredAgentTurn(
    UsageMeter meter, IAgentChatClients chatClients, AgentToolbox toolbox, IOptions<AiOptions> options, ILoggerFactory loggers, TimeProvider time)
{
    public async Task<TurnOutcome> RunAsync(
        OrgId org, AgentEntity agent, string channel, IEnumerable<ChatMessage> conversation, CancellationToken cancellationToken, ScopeCaps? scope = null,
        IReadOnlyList<AIFunction>? channelTools = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var ai = options.Value;
        var price = ai.Models.GetValueOrDefault(agent.Model)
            ?? throw new InvalidOperationException($"Agent {agent.RowKey} names model {agent.Model}, which is no longer configured.");
        var prompt = new List<ChatMessage> { new(ChatRole.System, agent.Instructions) };
        // PCI: every channel masks card numbers when it stores a message; masked here again, so none reaches the model.
        prompt.AddRange(conversation.TakeLast(ai.HistoryMessages).Select(m => CardNumbers.Contains(m.Text) ? new ChatMessage(m.Role, CardNumbers.Mask(m.Text)) : m));
        // The channel's own tools (a call's transfer and hang-up) beside the tenant's HTTP tools.
        var tools = toolbox.For(agent, new ToolCallContext(Caller.System(org, "agent:" + agent.RowKey), agent.RowKey)).Concat(channelTools ?? []).ToList();
        var turn = new TurnMeter(meter, org, agent, channel, scope, price, ai.MaxOutputTokens, time);
        ChatResponse response;
        try
        {
            response = await Model(agent.Model, ai, turn).GetResponseAsync(
                prompt, new ChatOptions { ModelId = agent.Model, MaxOutputTokens = ai.MaxOutputTokens, Tools = [.. tools] }, cancellationToken).ConfigureAwait(false);
        }
        catch (TurnCapReachedException) when (turn.Refusal is { } refusal)
        {
            return new TurnOutcome(null, refusal, turn.InputTokens, turn.OutputTokens, turn.CostMicroUsd);
        }

        var text = CardNumbers.Mask(response.Text.Trim());
        var called = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.Name).ToList();
        return new TurnOutcome(text.Length == 0 ? null : text, null, turn.InputTokens, turn.OutputTokens, turn.CostMicroUsd, called);
    }

    /// <summary>
    /// The deployment's model behind this turn's meter and the function-invocation loop. Not disposed: the model under
    /// it is the process's, and the two layers above hold nothing.
    /// </summary>
    private IChatClient Model(string deployment, AiOptions ai, TurnMeter turn) =>
        new ChatClientBuilder(chatClients.For(deployment))
            .UseFunctionInvocation(loggers, invoking => invoking.MaximumIterationsPerRequest = ai.MaxToolRounds)
            .Use(model => new MeteredChatClient(model, turn))
            .Build();
}
