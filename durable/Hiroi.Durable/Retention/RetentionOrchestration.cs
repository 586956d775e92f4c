using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Hiroi.Durable.Retention;

// Orchestrator code must resume on the orchestration's own context: no ConfigureAwait(false) here.
#pragma warning disable CA2007

/// <summary>
/// The input of a day's sweep: the UTC day it is for (its instance id says the same, so a day runs once), where the
/// org walk has got to, and how many orgs could not be swept so far.
/// </summary>
public sealed record SweepRun(string Day, string? After = null, int Failed = 0);

/// <summary>
/// The daily retention sweep: it walks the orgs a page at a time and sweeps a page's orgs side by side, each org one
/// kind of data after the other, a batch at a time until none of it is expired (each batch an activity whose input
/// names its org and kind: the history is the checkpoint); then it continues as new with the next page, so its
/// history holds one page. Last, the platform's expired event claims go. An org whose batches keep failing is logged
/// and left to the next day's run; the others go on.
/// </summary>
/// <remarks>
/// The orgs fan out as activity chains, not sub-orchestrations: the self-host's engine (the preview gRPC sidecar over
/// DurableTask.AzureStorage) writes a sub-orchestration's creation event to the history table without its fields, and
/// the parent then never replays again. Activities behave the same on both engines.
/// </remarks>
[DurableTask(RetentionOrchestration.Name)]
public sealed class RetentionOrchestration : TaskOrchestrator<SweepRun, int>
{
    public const string Name = "RetentionSweep";
    public const int OrgsPerPage = 20;

    public static readonly TaskOptions ActivityRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 5, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));

    /// <summary>The run of <paramref name="at"/>'s UTC day.</summary>
    public static string InstanceId(DateTimeOffset at) => InstanceId(Day(at));

    public static string InstanceId(string day) => "retention-" + day;

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <returns>How many orgs could not be swept.</returns>
    public override async Task<int> RunAsync(TaskOrchestrationContext context, SweepRun input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var page = await context.CallActivityAsync<OrgPage>(RetentionListOrgsActivity.Name, input.After, ActivityRetry);
        var swept = await Task.WhenAll(page.Orgs.Select(org => SweepOrgAsync(context, org)));
        var failed = input.Failed + swept.Count(ok => !ok);
        if (page.Next is not null)
        {
            context.ContinueAsNew(input with { After = page.Next, Failed = failed });
            return failed;
        }

        while (await context.CallActivityAsync<int>(RetentionDeleteExpiredClaimsActivity.Name, null, ActivityRetry) == RetentionSweep.BatchSize)
        {
        }

        if (failed > 0)
        {
            context.CreateReplaySafeLogger(Name).LogWarning("Retention sweep {Day}: {Failed} orgs could not be swept; the next run tries again", input.Day, failed);
        }

        return failed;
    }

    /// <summary>One org: each kind in registry order, a batch at a time until none of it is expired. False when a batch kept failing.</summary>
    private static async Task<bool> SweepOrgAsync(TaskOrchestrationContext context, string org)
    {
        try
        {
            foreach (var kind in RetentionSweep.KindNames)
            {
                while ((await context.CallActivityAsync<SweepBatchResult>(RetentionSweepBatchActivity.Name, new SweepBatch(org, kind), ActivityRetry)).More)
                {
                }
            }

            return true;
        }
        catch (TaskFailedException)
        {
            return false;
        }
    }
}

/// <summary>The input of an org's purge.</summary>
public sealed record PurgeRun(string Org);

/// <summary>
/// A deleted org's purge: <see cref="OrgPurge"/> steps until nothing is left, waiting on a durable timer until the purge
/// delay has passed. Started by the deletion request, and again by the retention timer for any org still pending (a
/// deterministic instance id makes that a no-op while one runs).
/// </summary>
[DurableTask(OrgPurgeOrchestration.Name)]
public sealed class OrgPurgeOrchestration : TaskOrchestrator<PurgeRun, string>
{
    public const string Name = "OrgPurge";
    public const int StepsPerGeneration = 50;

    public static string InstanceId(OrgId org) => "org-purge-" + org.Value;

    public override async Task<string> RunAsync(TaskOrchestrationContext context, PurgeRun input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        for (var step = 0; step < StepsPerGeneration; step++)
        {
            var outcome = await context.CallActivityAsync<StepOutcome>(OrgPurgeStepActivity.Name, input, RetentionOrchestration.ActivityRetry);
            switch (outcome)
            {
                case { Kind: StepKind.DeferUntil, At: { } at }:
                    await context.CreateTimer(at.UtcDateTime, CancellationToken.None);
                    break;
                case { Kind: StepKind.Stop }:
                    return outcome.Why!;
            }
        }

        context.ContinueAsNew(input);
        return "continued";
    }
}
