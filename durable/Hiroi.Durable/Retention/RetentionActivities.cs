using Hiroi.Durable.Campaigns;
using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;

namespace Hiroi.Durable.Retention;

/// <summary>The retention orchestrations' activities, each one line over the sweep and purge steps.</summary>
public sealed class RetentionActivities(RetentionSweep sweep, OrgPurge purge)
{
    public const string ListOrgs = "RetentionListOrgs";
    public const string SweepBatch = "RetentionSweepBatch";
    public const string DeleteExpiredClaims = "RetentionDeleteExpiredClaims";
    public const string PurgeStep = "OrgPurgeStep";

    public Task<OrgPage> ListOrgsAsync(string? after, CancellationToken cancellationToken) =>
        sweep.OrgsAsync(after, RetentionOrchestration.OrgsPerPage, cancellationToken);

    public Task<SweepBatchResult> SweepBatchAsync(SweepBatch batch, CancellationToken cancellationToken) => sweep.SweepBatchAsync(batch, cancellationToken);

    public Task<int> DeleteExpiredClaimsAsync(CancellationToken cancellationToken) => sweep.DeleteExpiredClaimsAsync(cancellationToken);

    public Task<StepOutcome> PurgeStepAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return OrgId.TryParse(run.Org, out var org)
            ? purge.StepAsync(org, cancellationToken)
            : Task.FromResult<StepOutcome>(StepOutcome.Stop("not an org"));
    }
}

/// <summary>The self-host's registrations of the retention activities (the Functions app has its own one-line adapters).</summary>
public sealed class RetentionListOrgsActivity(RetentionActivities activities) : TaskActivity<string?, OrgPage>
{
    public override Task<OrgPage> RunAsync(TaskActivityContext context, string? input) => activities.ListOrgsAsync(input, CancellationToken.None);
}

public sealed class RetentionSweepBatchActivity(RetentionActivities activities) : TaskActivity<SweepBatch, SweepBatchResult>
{
    public override Task<SweepBatchResult> RunAsync(TaskActivityContext context, SweepBatch input) => activities.SweepBatchAsync(input, CancellationToken.None);
}

public sealed class RetentionDeleteExpiredClaimsActivity(RetentionActivities activities) : TaskActivity<object?, int>
{
    public override Task<int> RunAsync(TaskActivityContext context, object? input) => activities.DeleteExpiredClaimsAsync(CancellationToken.None);
}

public sealed class OrgPurgeStepActivity(RetentionActivities activities) : TaskActivity<PurgeRun, StepOutcome>
{
    public override Task<StepOutcome> RunAsync(TaskActivityContext context, PurgeRun input) => activities.PurgeStepAsync(input, CancellationToken.None);
}
