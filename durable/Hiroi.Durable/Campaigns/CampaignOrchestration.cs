using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Hiroi.Durable.Campaigns;

// Orchestrator code must resume on the orchestration's own context: no ConfigureAwait(false) here.
#pragma warning disable CA2007

/// <summary>The input of a campaign's orchestration: whose campaign (ids only: orchestration history holds nothing personal).</summary>
public sealed record CampaignRun(string Org, string CampaignId)
{
    /// <summary>The org the run names; an activity given anything else fails rather than guess.</summary>
    public OrgId OrgOrThrow() => OrgId.TryParse(Org, out var org) ? org : throw new ArgumentException("Not an org id.", nameof(Org));
}

/// <summary>
/// One orchestration per campaign, with a deterministic instance id, looping over <see cref="CampaignStep"/> as an
/// activity. A deferral is a durable timer that the wake event (sent by every command) cuts short; a paused or not yet
/// started campaign waits for that event (looking again hourly); a finished, cancelled or failed one ends the orchestration. Every
/// <see cref="StepsPerGeneration"/> steps it continues as new, so its history stays small. Deterministic: time comes from
/// the context, I/O only from activities, logs from the replay-safe logger.
/// </summary>
[DurableTask(CampaignOrchestration.Name)]
public sealed class CampaignOrchestration : TaskOrchestrator<CampaignRun, string>
{
    public const string Name = "CampaignOrchestration";
    public const string WakeEvent = "wake";
    public const int StepsPerGeneration = 50;

    /// <summary>How long a paused campaign waits for a command before it looks at its row again.</summary>
    public static readonly TimeSpan IdleRecheck = TimeSpan.FromHours(1);

    /// <summary>
    /// A step is retried with back-off for about 25 minutes (a storage outage passes); one that keeps failing fails the
    /// campaign with the reason.
    /// </summary>
    public static readonly TaskOptions StepRetry = TaskOptions.FromRetryPolicy(new Microsoft.DurableTask.RetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

    public static string InstanceId(OrgId org, string campaignId) => $"campaign-{org.Value}-{campaignId}";

    public override async Task<string> RunAsync(TaskOrchestrationContext context, CampaignRun input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var logger = context.CreateReplaySafeLogger(Name);
        for (var step = 0; step < StepsPerGeneration; step++)
        {
            StepOutcome outcome;
            try
            {
                outcome = await context.CallActivityAsync<StepOutcome>(CampaignStepActivity.Name, input, StepRetry);
            }
            catch (TaskFailedException e)
            {
                logger.LogWarning("A step of campaign {CampaignId} kept failing ({ErrorType}); the campaign is marked failed", input.CampaignId, e.FailureDetails.ErrorType);
                await context.CallActivityAsync(CampaignFailActivity.Name, input);
                return CampaignStates.Failed;
            }

            // Why the last step stopped ("paused", …), or none: once it reads "paused" no step is in flight (one runs at a
            // time), so an operator or a test knows a pause has taken hold without watching the clock.
            context.SetCustomStatus(outcome.Kind == StepKind.Stop ? outcome.Why : null);
            switch (outcome)
            {
                case { Kind: StepKind.DeferUntil, At: { } at }:
                    await SleepAsync(context, at);
                    break;
                case { Kind: StepKind.Stop, Why: CampaignStates.Draft or CampaignStates.Paused }:
                    // Until a command wakes it; an hour at most, in case a wake was lost (it is sent after the write, best effort).
                    await SleepAsync(context, new DateTimeOffset(context.CurrentUtcDateTime).Add(IdleRecheck));
                    break;
                case { Kind: StepKind.Stop }:
                    return outcome.Why!;
            }
        }

        // Events that arrived meanwhile (a command's wake) carry over to the next generation.
        context.ContinueAsNew(input, preserveUnprocessedEvents: true);
        return "continued";
    }

    /// <summary>Waits until <paramref name="until"/>, or until a command wakes the campaign.</summary>
    private static async Task SleepAsync(TaskOrchestrationContext context, DateTimeOffset until)
    {
        using var cancel = new CancellationTokenSource();
        var timer = context.CreateTimer(until.UtcDateTime, cancel.Token);
        var wake = context.WaitForExternalEvent<string>(WakeEvent, cancel.Token);
        await Task.WhenAny(timer, wake);
        // Synchronously: an orchestrator may await only the engine's own tasks (CancelAsync would resume elsewhere).
#pragma warning disable CA1849
        cancel.Cancel();
#pragma warning restore CA1849
    }
}
