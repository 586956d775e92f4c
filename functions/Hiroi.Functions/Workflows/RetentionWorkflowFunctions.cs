using Hiroi.Durable;
using Hiroi.Durable.Retention;
using Hiroi.Durable.Workflows;
using Hiroi.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Workflows;

/// <summary>
/// The retention sweep and org purge under the Durable extension, and the daily timer that starts them: one line each
/// over Hiroi.Durable.
/// </summary>
public sealed class RetentionWorkflowFunctions(RetentionActivities activities, WorkflowStarter workflows, TimeProvider time)
{
    /// <summary>
    /// On the schedule in <c>Hiroi__RetentionSweep__Schedule</c> (the self-host's timer reads the same setting): starts the
    /// day's sweep, once a day however often it fires, and the purge of any org still pending.
    /// </summary>
    [Function("RetentionTimer")]
    public async Task Timer([TimerTrigger("%Hiroi:RetentionSweep:Schedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        using (InvocationDurableClient.Bind(client))
        {
            await workflows.TickAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every five minutes: starts again what should be running and is not (pending org purges, stalled campaigns), so a
    /// lost workflow is noticed in minutes rather than at the next daily tick.
    /// </summary>
    [Function("WorkflowWatchdog")]
    public async Task Watchdog([TimerTrigger("0 */5 * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        using (InvocationDurableClient.Bind(client))
        {
            await workflows.RecoverAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
    }

    [Function(RetentionOrchestration.Name)]
    public static Task<int> Sweep([OrchestrationTrigger] TaskOrchestrationContext context, SweepRun run) => RetentionOrchestration.RunAsync(context, run);

    [Function(OrgPurgeOrchestration.Name)]
    public static Task<string> Purge([OrchestrationTrigger] TaskOrchestrationContext context, PurgeRun run) => OrgPurgeOrchestration.RunAsync(context, run);

    [Function(RetentionActivities.ListOrgs)]
    public Task<OrgPage> ListOrgs([ActivityTrigger] string? after, CancellationToken cancellationToken) => activities.ListOrgsAsync(after, cancellationToken);

    [Function(RetentionActivities.SweepBatch)]
    public Task<SweepBatchResult> SweepBatch([ActivityTrigger] SweepBatch batch, CancellationToken cancellationToken) => activities.SweepBatchAsync(batch, cancellationToken);

    [Function(RetentionActivities.DeleteExpiredClaims)]
    public Task<int> DeleteExpiredClaims([ActivityTrigger] object? input, CancellationToken cancellationToken) => activities.DeleteExpiredClaimsAsync(cancellationToken);

    [Function(RetentionActivities.PurgeStep)]
    public Task<StepOutcome> PurgeStep([ActivityTrigger] PurgeRun run, CancellationToken cancellationToken) => activities.PurgeStepAsync(run, cancellationToken);
}
