using Hiroi.Durable.Agents;
using Hiroi.Shared.Agents;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Hiroi.Functions.Workflows;

/// <summary>The agent reply orchestration and its turn activity under the Durable extension: one line each over Hiroi.Durable.</summary>
public sealed class AgentWorkflowFunctions(SmsAgentReply runner)
{
    [Function(AgentReplyOrchestration.Name)]
    public static Task<string> AgentReply([OrchestrationTrigger] TaskOrchestrationContext context, AgentTurnRequest request) =>
        AgentReplyOrchestration.RunAsync(context, request);

    [Function(AgentReplyOrchestration.TurnActivity)]
    public Task<string> AgentTurn([ActivityTrigger] AgentTurnRequest request, CancellationToken cancellationToken) => runner.RunAsync(request, cancellationToken);
}
