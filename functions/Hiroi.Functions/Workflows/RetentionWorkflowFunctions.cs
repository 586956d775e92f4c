using Hiroi.Durable.Workflows;
using Hiroi.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Workflows;

/// <summary>
/// The timers that start workflows: the daily one (the retention sweep, pending org purges) and the watchdog. The
/// orchestrators and activities themselves are generated (<c>WorkflowFunctions</c> in Functions.g.cs).
/// </summary>
public sealed class RetentionWorkflowFunctions(WorkflowStarter workflows, TimeProvider time)
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
}
