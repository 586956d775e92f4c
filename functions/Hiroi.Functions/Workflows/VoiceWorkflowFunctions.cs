using Hiroi.Durable.Voice;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Hiroi.Functions.Workflows;

/// <summary>A call's deadline orchestration and its step under the Durable extension: one line each over Hiroi.Durable.</summary>
public sealed class VoiceWorkflowFunctions(CallDeadlineActivities activities)
{
    [Function(CallDeadlineOrchestration.Name)]
    public static Task<string> CallDeadline([OrchestrationTrigger] TaskOrchestrationContext context, CallDeadline deadline) =>
        CallDeadlineOrchestration.RunAsync(context, deadline);

    [Function(CallDeadlineOrchestration.ReachedActivity)]
    public Task<bool> CallDeadlineReached([ActivityTrigger] CallDeadlineReached input, CancellationToken cancellationToken) =>
        activities.ReachedAsync(input, cancellationToken);
}
