using Hiroi.Durable.Workflows;
using Hiroi.Tests.Infrastructure;
using Microsoft.DurableTask;

namespace Hiroi.Tests.Workflows;

/// <summary>
/// The one list of orchestrators and activities: complete, and naming each task by the string orchestration history and
/// instance ids already hold, whatever its class is called.
/// </summary>
[Lane(Lanes.Unit)]
public class WorkflowRegistryTests
{
    private static bool Derives(Type type, Type generic)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == generic)
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public void Every_task_keeps_the_name_its_history_knows()
    {
        Assert.Equal(
            ["AgentReply", "CallDeadline", "CampaignOrchestration", "OrgPurge", "RetentionSweep"],
            HiroiWorkflows.Orchestrators.Select(HiroiWorkflows.NameOf).Order(StringComparer.Ordinal));
        Assert.Equal(
            [
                "AgentTurn", "AgentTurnFailed", "CallDeadlineReached", "CampaignFail", "CampaignStep", "OrgPurgeStep", "RetentionDeleteExpiredClaims",
                "RetentionListOrgs", "RetentionSweepBatch",
            ],
            HiroiWorkflows.Activities.Select(HiroiWorkflows.NameOf).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_orchestrator_and_activity_class_is_listed_once()
    {
        var types = typeof(HiroiWorkflows).Assembly.GetTypes().Where(t => !t.IsAbstract).ToList();

        Assert.Equal(
            types.Where(t => Derives(t, typeof(TaskOrchestrator<,>))).Select(t => t.FullName).Order(StringComparer.Ordinal),
            HiroiWorkflows.Orchestrators.Select(t => t.FullName).Order(StringComparer.Ordinal));
        Assert.Equal(
            types.Where(t => Derives(t, typeof(TaskActivity<,>))).Select(t => t.FullName).Order(StringComparer.Ordinal),
            HiroiWorkflows.Activities.Select(t => t.FullName).Order(StringComparer.Ordinal));
    }
}
