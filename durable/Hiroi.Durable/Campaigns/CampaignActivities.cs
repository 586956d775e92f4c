using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace Hiroi.Durable.Campaigns;

/// <summary>
/// The campaign orchestration's activities: each one line over the idempotent step classes. The Durable engine may run
/// an activity twice (a worker that dies before its result is recorded); the step's checkpoint and dispatch intents
/// make the second run act once.
/// </summary>
public sealed class CampaignActivities(CampaignStep step, CampaignCommands commands, IOptions<CampaignOptions> options, TimeProvider time)
{
    public const string Step = "CampaignStep";
    public const string Fail = "CampaignFail";

    /// <summary>
    /// Runs the campaign's steps back to back while each asks to go on, for up to <see cref="CampaignOptions.StepsForMilliseconds"/>;
    /// every step checkpoints on its own, so a crash in between loses nothing.
    /// </summary>
    public async Task<StepOutcome> StepAsync(CampaignRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var org = Org(run);
        var started = time.GetTimestamp();
        StepOutcome outcome;
        do
        {
            outcome = await step.RunAsync(org, run.CampaignId, cancellationToken).ConfigureAwait(false);
        }
        while (outcome is { Kind: StepKind.Continue } && time.GetElapsedTime(started).TotalMilliseconds < options.Value.StepsForMilliseconds);

        return outcome;
    }

    public Task FailAsync(CampaignRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return commands.FailAsync(Org(run), run.CampaignId, $"A step failed {CampaignOrchestration.StepRetry.Retry?.Policy?.MaxNumberOfAttempts} times in a row.", cancellationToken);
    }

    private static OrgId Org(CampaignRun run) =>
        OrgId.TryParse(run.Org, out var org) ? org : throw new ArgumentException("Not an org id.", nameof(run));
}

/// <summary>The self-host's registration of <see cref="CampaignActivities.Step"/> (the Functions app has its own one-line adapter).</summary>
public sealed class CampaignStepActivity(CampaignActivities activities) : TaskActivity<CampaignRun, StepOutcome>
{
    public override Task<StepOutcome> RunAsync(TaskActivityContext context, CampaignRun input) => activities.StepAsync(input, CancellationToken.None);
}

/// <summary>The self-host's registration of <see cref="CampaignActivities.Fail"/>.</summary>
public sealed class CampaignFailActivity(CampaignActivities activities) : TaskActivity<CampaignRun, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, CampaignRun input)
    {
        await activities.FailAsync(input, CancellationToken.None).ConfigureAwait(false);
        return true;
    }
}
