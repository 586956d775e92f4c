using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;

namespace Hiroi.Durable.Retention;

/// <summary>A page of org ids for the day's sweep, after the one given.</summary>
[DurableTask(RetentionListOrgsActivity.Name)]
public sealed class RetentionListOrgsActivity(RetentionSweep sweep) : TaskActivity<string?, OrgPage>
{
    public const string Name = "RetentionListOrgs";

    public override Task<OrgPage> RunAsync(TaskActivityContext context, string? input) =>
        sweep.OrgsAsync(input, RetentionOrchestration.OrgsPerPage, CancellationToken.None);
}

/// <summary>One batch of one kind of an org's expired data.</summary>
[DurableTask(RetentionSweepBatchActivity.Name)]
public sealed class RetentionSweepBatchActivity(RetentionSweep sweep) : TaskActivity<SweepBatch, SweepBatchResult>
{
    public const string Name = "RetentionSweepBatch";

    public override Task<SweepBatchResult> RunAsync(TaskActivityContext context, SweepBatch input) => sweep.SweepBatchAsync(input, CancellationToken.None);
}

/// <summary>One batch of the platform's expired event claims.</summary>
[DurableTask(RetentionDeleteExpiredClaimsActivity.Name)]
public sealed class RetentionDeleteExpiredClaimsActivity(RetentionSweep sweep) : TaskActivity<object?, int>
{
    public const string Name = "RetentionDeleteExpiredClaims";

    public override Task<int> RunAsync(TaskActivityContext context, object? input) => sweep.DeleteExpiredClaimsAsync(CancellationToken.None);
}

/// <summary>One step of a deleted org's purge (<see cref="OrgPurge"/>).</summary>
[DurableTask(OrgPurgeStepActivity.Name)]
public sealed class OrgPurgeStepActivity(OrgPurge purge) : TaskActivity<PurgeRun, StepOutcome>
{
    public const string Name = "OrgPurgeStep";

    public override Task<StepOutcome> RunAsync(TaskActivityContext context, PurgeRun input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return OrgId.TryParse(input.Org, out var org)
            ? purge.StepAsync(org, CancellationToken.None)
            : Task.FromResult(StepOutcome.Stop("not an org"));
    }
}
