using Hiroi.Shared.Campaigns;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace Hiroi.Durable.Campaigns;

/// <summary>
/// A campaign's step as an activity: <see cref="CampaignStep"/> back to back while each asks to go on, for up to
/// <see cref="CampaignOptions.StepsForMilliseconds"/>; every step checkpoints on its own, so a crash in between loses
/// nothing. The Durable engine may run an activity twice (a worker that dies before its result is recorded); the step's
/// checkpoint and dispatch intents make the second run act once.
/// </summary>
[DurableTask(CampaignStepActivity.Name)]
public sealed class CampaignStepActivity(CampaignStep step, IOptions<CampaignOptions> options, TimeProvider time) : TaskActivity<CampaignRun, StepOutcome>
{
    public const string Name = "CampaignStep";

    public override async Task<StepOutcome> RunAsync(TaskActivityContext context, CampaignRun input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var org = input.OrgOrThrow();
        var started = time.GetTimestamp();
        StepOutcome outcome;
        do
        {
            outcome = await step.RunAsync(org, input.CampaignId, CancellationToken.None).ConfigureAwait(false);
        }
        while (outcome is { Kind: StepKind.Continue } && time.GetElapsedTime(started).TotalMilliseconds < options.Value.StepsForMilliseconds);

        return outcome;
    }
}

/// <summary>Marks a campaign failed once its step has used up <see cref="CampaignOrchestration.StepRetry"/>.</summary>
[DurableTask(CampaignFailActivity.Name)]
public sealed class CampaignFailActivity(CampaignCommands commands) : TaskActivity<CampaignRun, bool>
{
    public const string Name = "CampaignFail";

    public override async Task<bool> RunAsync(TaskActivityContext context, CampaignRun input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await commands.FailAsync(
            input.OrgOrThrow(), input.CampaignId, $"A step failed {CampaignOrchestration.StepRetry.Retry?.Policy?.MaxNumberOfAttempts} times in a row.", CancellationToken.None)
            .ConfigureAwait(false);
        return true;
    }
}
