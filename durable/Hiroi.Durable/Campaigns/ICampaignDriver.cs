using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Campaigns;

/// <summary>
/// What steps a campaign through <see cref="CampaignStep"/> (its Durable orchestration, in both hosts). Commands only
/// write the campaign row's state (honoured by the next step) and tell the driver.
/// </summary>
public interface ICampaignDriver
{
    /// <summary>
    /// Called by the command that sets the campaign running, before its row is written, so a driver will step it once
    /// the state lands (a driver for a write that then fails finds the campaign not running and waits or ends).
    /// </summary>
    Task StartAsync(OrgId org, string campaignId, CancellationToken cancellationToken);

    /// <summary>Called once a command is written: the driver looks at the campaign now rather than at its next wake-up.</summary>
    Task WakeAsync(OrgId org, string campaignId, CancellationToken cancellationToken);
}
