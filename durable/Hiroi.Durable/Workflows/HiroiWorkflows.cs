using Hiroi.Durable.Agents;
using Hiroi.Durable.Campaigns;
using Hiroi.Shared.Agents;
using Hiroi.Durable.Retention;
using Hiroi.Durable.Voice;
using Microsoft.DurableTask;

namespace Hiroi.Durable.Workflows;

/// <summary>Every orchestrator and activity, for a Durable Task worker (the self-host's engine, and the tests' in-process host).</summary>
public static class HiroiWorkflows
{
    public static void Register(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry
            .AddOrchestratorFunc<CampaignRun, string>(CampaignOrchestration.Name, CampaignOrchestration.RunAsync)
            .AddOrchestratorFunc<SweepRun, int>(RetentionOrchestration.Name, RetentionOrchestration.RunAsync)
            .AddOrchestratorFunc<PurgeRun, string>(OrgPurgeOrchestration.Name, OrgPurgeOrchestration.RunAsync)
            .AddOrchestratorFunc<AgentTurnRequest, string>(AgentReplyOrchestration.Name, AgentReplyOrchestration.RunAsync)
            .AddOrchestratorFunc<CallDeadline, string>(CallDeadlineOrchestration.Name, CallDeadlineOrchestration.RunAsync)
            .AddActivity<CallDeadlineActivity>(CallDeadlineOrchestration.ReachedActivity)
            .AddActivity<AgentTurnActivity>(AgentReplyOrchestration.TurnActivity)
            .AddActivity<CampaignStepActivity>(CampaignActivities.Step)
            .AddActivity<CampaignFailActivity>(CampaignActivities.Fail)
            .AddActivity<RetentionListOrgsActivity>(RetentionActivities.ListOrgs)
            .AddActivity<RetentionSweepBatchActivity>(RetentionActivities.SweepBatch)
            .AddActivity<RetentionDeleteExpiredClaimsActivity>(RetentionActivities.DeleteExpiredClaims)
            .AddActivity<OrgPurgeStepActivity>(RetentionActivities.PurgeStep);
    }
}
