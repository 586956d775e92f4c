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
public static class AgentReplyOrchestration
{
    public const string Name = "AgentReply";
    public const string TurnActivity = "AgentTurn";

    public static readonly TaskOptions TurnRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    public static string InstanceId(OrgId org, string messageKey) =>
        "agent-reply-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(org.Value + "\n" + messageKey)).AsSpan(0, 16));

    public static Task<string> RunAsync(TaskOrchestrationContext context, AgentTurnRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CallActivityAsync<string>(TurnActivity, request, TurnRetry);
    }
}

/// <summary>The self-host's registration of <see cref="AgentReplyOrchestration.TurnActivity"/>.</summary>
public sealed class AgentTurnActivity(SmsAgentReply runner) : TaskActivity<AgentTurnRequest, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, AgentTurnRequest input) => runner.RunAsync(input, CancellationToken.None);
}
