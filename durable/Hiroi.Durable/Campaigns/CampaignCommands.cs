using Hiroi.Shared.Audit;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Campaigns;

public enum CommandResult
{
    Done,
    NotFound,
    NotAllowed,
}

/// <summary>
/// Start, pause, resume and cancel: each is a conditional write of the campaign row's state (honoured by the next step),
/// audited. Start and resume tell the <see cref="ICampaignDriver"/> before the state is written (a driver for a write
/// that then fails finds nothing to do; a write without its driver would strand the campaign); every command wakes the
/// driver once written.
/// </summary>
public sealed class CampaignCommands(CampaignRepository campaigns, ICampaignDriver driver, AuditTrail audit, TimeProvider time)
{
    public const string Start = "start";
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string Cancel = "cancel";

    public async Task<CommandResult> RunAsync(Caller caller, string campaignId, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var driven = false;
        var result = await ChangeAsync(caller.OrgId, campaignId, async campaign =>
        {
            var next = NextState(campaign.State, command);
            if (next is null)
            {
                return false;
            }

            campaign.State = next;
            if (next == CampaignStates.Running)
            {
                campaign.StartedAt ??= time.GetUtcNow();
                await driver.StartAsync(caller.OrgId, campaignId, cancellationToken).ConfigureAwait(false);
            }

            if (CampaignStates.IsFinal(next))
            {
                campaign.FinishedAt = time.GetUtcNow();
            }

            driven = campaign.StartedAt is not null; // a draft that was never started has no workflow to wake
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (result == CommandResult.Done)
        {
            if (driven)
            {
                await driver.WakeAsync(caller.OrgId, campaignId, cancellationToken).ConfigureAwait(false);
            }

            await audit.RecordAsync(caller, AuditActions.CampaignCommand, "campaign:" + campaignId, command, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Marks a campaign failed with the reason, unless it has ended already (its orchestration, when its steps keep failing).</summary>
    public Task<CommandResult> FailAsync(OrgId org, string campaignId, string reason, CancellationToken cancellationToken) =>
        ChangeAsync(org, campaignId, campaign =>
        {
            if (CampaignStates.IsFinal(campaign.State))
            {
                return Task.FromResult(false);
            }

            campaign.State = CampaignStates.Failed;
            campaign.FailureReason = reason;
            campaign.FinishedAt = time.GetUtcNow();
            return Task.FromResult(true);
        }, cancellationToken);

    /// <summary>Applies <paramref name="change"/> (false: not allowed) to the campaign row under its ETag, again on a fresh read after a conflict.</summary>
    private async Task<CommandResult> ChangeAsync(OrgId org, string campaignId, Func<CampaignEntity, Task<bool>> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var campaign = await campaigns.FindAsync(org, campaignId, cancellationToken).ConfigureAwait(false);
            if (campaign is null)
            {
                return CommandResult.NotFound;
            }

            if (!await change(campaign).ConfigureAwait(false))
            {
                return CommandResult.NotAllowed;
            }

            try
            {
                await campaigns.UpdateAsync(org, campaign, cancellationToken).ConfigureAwait(false);
                return CommandResult.Done;
            }
            catch (ConflictException) when (attempt < 5)
            {
                // A step checkpointed meanwhile: apply the change to the fresh row.
            }
        }
    }

    private static string? NextState(string state, string command) => (state, command) switch
    {
        (CampaignStates.Draft, Start) => CampaignStates.Running,
        (CampaignStates.Running, Pause) => CampaignStates.Paused,
        (CampaignStates.Paused, Resume) => CampaignStates.Running,
        (CampaignStates.Draft or CampaignStates.Running or CampaignStates.Paused, Cancel) => CampaignStates.Cancelled,
        _ => null,
    };
}
