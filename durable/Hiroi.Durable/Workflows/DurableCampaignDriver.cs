using Hiroi.Durable.Campaigns;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Workflows;

/// <summary>Campaigns driven by their Durable orchestration (both hosts): a start makes sure it runs, every command wakes it.</summary>
public sealed class DurableCampaignDriver(WorkflowStarter workflows) : ICampaignDriver
{
    public Task StartAsync(OrgId org, string campaignId, CancellationToken cancellationToken) => workflows.StartCampaignAsync(org, campaignId, cancellationToken);

    public Task WakeAsync(OrgId org, string campaignId, CancellationToken cancellationToken) => workflows.WakeCampaignAsync(org, campaignId, cancellationToken);
}
