using Hiroi.Durable;
using Hiroi.Durable.Campaigns;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Hiroi.Functions.Workflows;

/// <summary>
/// The campaign orchestration and its activities under the Durable extension: one line each over Hiroi.Durable. An
/// orchestrator's unbound parameter after its context is its input, as the extension binds it.
/// </summary>
public sealed class CampaignWorkflowFunctions(CampaignActivities activities)
{
    [Function(CampaignOrchestration.Name)]
    public static Task<string> Campaign([OrchestrationTrigger] TaskOrchestrationContext context, CampaignRun run) => CampaignOrchestration.RunAsync(context, run);

    [Function(CampaignActivities.Step)]
    public Task<StepOutcome> Step([ActivityTrigger] CampaignRun run, CancellationToken cancellationToken) => activities.StepAsync(run, cancellationToken);

    [Function(CampaignActivities.Fail)]
    public async Task<bool> Fail([ActivityTrigger] CampaignRun run, CancellationToken cancellationToken)
    {
        await activities.FailAsync(run, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
