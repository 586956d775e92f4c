using System.Reflection;
using Hiroi.Durable.Agents;
using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Retention;
using Hiroi.Durable.Voice;
using Microsoft.DurableTask;

namespace Hiroi.Durable.Workflows;

/// <summary>
/// Every orchestrator and activity, listed once. The self-host's worker and the tests' in-process hosts register them
/// with <see cref="AddHiroiWorkflows"/>; the Functions app's trigger functions are generated from the same lists
/// (<c>Hiroi.Server routes --emit-functions</c>). Each class names itself with <see cref="DurableTaskAttribute"/>: the
/// names are what orchestration history and instance ids know them by, so they never change with a class name.
/// </summary>
public static class HiroiWorkflows
{
    public static IReadOnlyList<Type> Orchestrators { get; } =
    [
        typeof(AgentReplyOrchestration),
        typeof(CallDeadlineOrchestration),
        typeof(CampaignOrchestration),
        typeof(OrgPurgeOrchestration),
        typeof(RetentionOrchestration),
    ];

    public static IReadOnlyList<Type> Activities { get; } =
    [
        typeof(AgentTurnActivity),
        typeof(AgentTurnFailedActivity),
        typeof(CallDeadlineActivity),
        typeof(CampaignFailActivity),
        typeof(CampaignStepActivity),
        typeof(OrgPurgeStepActivity),
        typeof(RetentionDeleteExpiredClaimsActivity),
        typeof(RetentionListOrgsActivity),
        typeof(RetentionSweepBatchActivity),
    ];

    /// <summary>The name <paramref name="task"/> is registered and called by: its <see cref="DurableTaskAttribute"/>, which each one must have.</summary>
    public static string NameOf(Type task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.GetCustomAttribute<DurableTaskAttribute>()?.Name.Name is { Length: > 0 } name
            ? name
            : throw new InvalidOperationException($"{task.Name} needs a [DurableTask(\"name\")]: its name must not follow the class name.");
    }

    public static DurableTaskRegistry AddHiroiWorkflows(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (var orchestrator in Orchestrators)
        {
            registry.AddOrchestrator(NameOf(orchestrator), orchestrator);
        }

        foreach (var activity in Activities)
        {
            registry.AddActivity(NameOf(activity), activity);
        }

        return registry;
    }
}
