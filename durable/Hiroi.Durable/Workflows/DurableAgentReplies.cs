using Hiroi.Shared.Agents;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Workflows;

/// <summary>Agent replies as Durable orchestrations (both hosts), one per customer message.</summary>
public sealed class DurableAgentReplies(WorkflowStarter workflows) : IAgentReplies
{
    public Task RequestAsync(OrgId org, string messageKey, CancellationToken cancellationToken) =>
        workflows.StartAgentReplyAsync(org, messageKey, cancellationToken);
}
