using Hiroi.Durable.Campaigns;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Workflows;

/// <summary>Campaigns driven by their Durable orchestration (both hosts): a start makes sure it runs, every command wakes it.</summary>
public sealed class DurableCampaignDriver(WorkflowStarter workflows) : ICampaignDriver
{
    public async Task StartAsync(OrgId org, CampaignEntity campaign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        campaign.StepToken = CampaignActivities.OrchestratedToken;
        campaign.PreviousStepToken = null;
        await workflows.StartCampaignAsync(org, campaign.RowKey, cancellationToken).ConfigureAwait(false);
    }

    public Task WakeAsync(OrgId org, string campaignId, CancellationToken cancellationToken) => workflows.WakeCampaignAsync(org, campaignId, cancellationToken);
}
