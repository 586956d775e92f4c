using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Hiroi.Durable.Retention;

// Orchestrator code must resume on the orchestration's own context: no ConfigureAwait(false) here.
#pragma warning disable CA2007

/// <summary>The input of a day's sweep: the UTC day it is for (its instance id says the same, so a day runs once).</summary>
public sealed record SweepRun(string Day);

/// <summary>The input of one org's sweep: the org, and the names of the kinds still to sweep (its checkpoint names kinds, never positions).</summary>
public sealed record OrgSweepRun(string Org, IReadOnlyList<string> Kinds);

/// <summary>
/// The daily retention sweep: it walks the orgs a page at a time and fans out one <see cref="OrgSweepOrchestration"/>
/// per org (a page's orgs side by side), then deletes the platform's expired event claims. One org whose sweep keeps
/// failing is logged and left to the next day's run; the others go on.
/// </summary>
public static class RetentionOrchestration
{
    public const string Name = "RetentionSweep";
    public const int OrgsPerPage = 20;

    public static readonly TaskOptions ActivityRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 5, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));

    /// <summary>The run of <paramref name="at"/>'s UTC day.</summary>
    public static string InstanceId(DateTimeOffset at) => InstanceId(Day(at));

    public static string InstanceId(string day) => "retention-" + day;

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<int> RunAsync(TaskOrchestrationContext context, SweepRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        var logger = context.CreateReplaySafeLogger(Name);
        var failed = 0;
        string? after = null;
        do
        {
            var page = await context.CallActivityAsync<OrgPage>(RetentionActivities.ListOrgs, after, ActivityRetry);
            var sweeps = page.Orgs.Select(async org =>
            {
                try
                {
                    await context.CallSubOrchestratorAsync(OrgSweepOrchestration.Name, new OrgSweepRun(org, RetentionSweep.KindNames),
                        new SubOrchestrationOptions { InstanceId = context.InstanceId + "-" + org });
                    return true;
                }
                catch (TaskFailedException)
                {
                    return false;
                }
            }).ToList();
            failed += (await Task.WhenAll(sweeps)).Count(ok => !ok);
            after = page.Next;
        }
        while (after is not null);

        while (await context.CallActivityAsync<int>(RetentionActivities.DeleteExpiredClaims, null, ActivityRetry) == RetentionSweep.BatchSize)
        {
        }

        if (failed > 0)
        {
            logger.LogWarning("Retention sweep {Day}: {Failed} orgs could not be swept; the next run tries again", run.Day, failed);
        }

        return failed;
    }
}

/// <summary>
/// One org's sweep: each kind in turn, a batch at a time until none of it is expired. After
/// <see cref="BatchesPerGeneration"/> batches it continues as new with the kinds still to do, so its history stays small.
/// </summary>
public static class OrgSweepOrchestration
{
    public const string Name = "RetentionOrgSweep";
    public const int BatchesPerGeneration = 100;

    public static async Task<int> RunAsync(TaskOrchestrationContext context, OrgSweepRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        var batches = 0;
        for (var i = 0; i < run.Kinds.Count; i++)
        {
            SweepBatchResult result;
            do
            {
                if (batches++ == BatchesPerGeneration)
                {
                    context.ContinueAsNew(run with { Kinds = [.. run.Kinds.Skip(i)] });
                    return batches;
                }

                result = await context.CallActivityAsync<SweepBatchResult>(RetentionActivities.SweepBatch, new SweepBatch(run.Org, run.Kinds[i]), RetentionOrchestration.ActivityRetry);
            }
            while (result.More);
        }

        return batches;
    }
}

/// <summary>The input of an org's purge.</summary>
public sealed record PurgeRun(string Org);

/// <summary>
/// A deleted org's purge: <see cref="OrgPurge"/> steps until nothing is left, waiting on a durable timer until the purge
/// delay has passed. Started by the deletion request, and again by the retention timer for any org still pending (a
/// deterministic instance id makes that a no-op while one runs).
/// </summary>
public static class OrgPurgeOrchestration
{
    public const string Name = "OrgPurge";
    public const int StepsPerGeneration = 50;

    public static string InstanceId(OrgId org) => "org-purge-" + org.Value;

    public static async Task<string> RunAsync(TaskOrchestrationContext context, PurgeRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        for (var step = 0; step < StepsPerGeneration; step++)
        {
            var outcome = await context.CallActivityAsync<StepOutcome>(RetentionActivities.PurgeStep, run, RetentionOrchestration.ActivityRetry);
            switch (outcome)
            {
                case StepOutcome.DeferUntil defer:
                    await context.CreateTimer(defer.At.UtcDateTime, CancellationToken.None);
                    break;
                case StepOutcome.Stop stop:
                    return stop.Why;
            }
        }

        context.ContinueAsNew(run);
        return "continued";
    }
}
