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
/// message), retried on transient faults (an ACS outage outlasting the ACS client's own retries). When the last retry
/// fails, the turn is recorded as failed with an audit entry, never left silent.
/// </summary>
[DurableTask(AgentReplyOrchestration.Name)]
public sealed class AgentReplyOrchestration : TaskOrchestrator<AgentTurnRequest, string>
{
    public const string Name = "AgentReply";

    public static readonly TaskOptions TurnRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    public static string InstanceId(OrgId org, string messageKey) =>
        "agent-reply-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(org.Value + "\n" + messageKey)).AsSpan(0, 16));

    public override async Task<string> RunAsync(TaskOrchestrationContext context, AgentTurnRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await context.CallActivityAsync<string>(AgentTurnActivity.Name, input, TurnRetry);
        }
        catch (TaskFailedException e)
        {
            var failure = SmsAgentReply.FailureOf(e.FailureDetails.ErrorType, e.FailureDetails.ErrorMessage);
            return await context.CallActivityAsync<string>(AgentTurnFailedActivity.Name, new AgentTurnFailure(input, failure), TurnRetry);
        }
    }
}

/// <summary>A turn whose every try failed, and why (no personal data: an exception type, or the ACS client's own message).</summary>
public sealed record AgentTurnFailure(AgentTurnRequest Turn, string Failure);

/// <summary>Records a turn that could not be completed: the turn row says failed and why, and the org's audit trail has it.</summary>
[DurableTask(AgentTurnFailedActivity.Name)]
public sealed class AgentTurnFailedActivity(SmsAgentReply runner) : TaskActivity<AgentTurnFailure, string>
{
    public const string Name = "AgentTurnFailed";

    public override Task<string> RunAsync(TaskActivityContext context, AgentTurnFailure input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return runner.GiveUpAsync(input.Turn, input.Failure, CancellationToken.None);
    }
}

/// <summary>The agent's turn: safe to run twice, as the turn row is keyed by the message.</summary>
[DurableTask(AgentTurnActivity.Name)]
public sealed class AgentTurnActivity(SmsAgentReply runner) : TaskActivity<AgentTurnRequest, string>
{
    public const string Name = "AgentTurn";

    public override Task<string> RunAsync(TaskActivityContext context, AgentTurnRequest input) => runner.RunAsync(input, CancellationToken.None);
}
