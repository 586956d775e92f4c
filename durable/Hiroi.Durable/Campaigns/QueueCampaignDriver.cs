using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Campaigns;

/// <summary>
/// The self-host's driver: a start gives the campaign a new step token and queues its first step, so any older step
/// message still queued is stale. Other commands need nothing: the next step reads the new state.
/// </summary>
public sealed class QueueCampaignDriver(CampaignStepMessages steps) : ICampaignDriver
{
    public async Task StartAsync(OrgId org, CampaignEntity campaign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        campaign.StepToken = Guid.NewGuid().ToString("N");
        campaign.PreviousStepToken = null;
        await steps.ScheduleAsync(org, campaign.RowKey, campaign.StepToken, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
    }

    public Task WakeAsync(OrgId org, string campaignId, CancellationToken cancellationToken) => Task.CompletedTask;
}
