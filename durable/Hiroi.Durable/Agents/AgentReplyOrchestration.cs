using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;

namespace Hiroi.Durable.Agents;

// Orchestrator code must resume on the orchestration's own context: no ConfigureAwait(false) here.
#pragma warning disable CA2007

/// <summary>
/// An agent's reply to one customer message, off the webhook path so Event Grid never waits on a model. One instance
/// per message (its id derives from the message), one activity that is safe to run twice (the turn row is keyed by the
/// message), retried on transient faults.
/// </summary>
[DurableTask(AgentReplyOrchestration.Name)]
public sealed class AgentReplyOrchestration : TaskOrchestrator<AgentTurnRequest, string>
{
    public const string Name = "AgentReply";

    public static readonly TaskOptions TurnRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    public static string InstanceId(OrgId org, string messageKey) =>
        "agent-reply-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(org.Value + "\n" + messageKey)).AsSpan(0, 16));

    public override Task<string> RunAsync(TaskOrchestrationContext context, AgentTurnRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CallActivityAsync<string>(AgentTurnActivity.Name, input, TurnRetry);
    }
}

/// <summary>The agent's turn: safe to run twice, as the turn row is keyed by the message.</summary>
[DurableTask(AgentTurnActivity.Name)]
public sealed class AgentTurnActivity(SmsAgentReply runner) : TaskActivity<AgentTurnRequest, string>
{
    public const string Name = "AgentTurn";

    public override Task<string> RunAsync(TaskActivityContext context, AgentTurnRequest input) => runner.RunAsync(input, CancellationToken.None);
}
