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
/// audited. Start and resume give the campaign a new step token and schedule its first step before the state is
/// written (a message for a write that then fails is stale and dropped; a write without its message would strand the
/// campaign), so any older message still queued is stale.
/// </summary>
public sealed class CampaignCommands(CampaignRepository campaigns, CampaignStepMessages steps, AuditTrail audit, TimeProvider time)
{
    public const string Start = "start";
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string Cancel = "cancel";

    public async Task<CommandResult> RunAsync(Caller caller, string campaignId, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        for (var attempt = 0; ; attempt++)
        {
            var campaign = await campaigns.FindAsync(caller.OrgId, campaignId, cancellationToken).ConfigureAwait(false);
            if (campaign is null)
            {
                return CommandResult.NotFound;
            }

            var next = NextState(campaign.State, command);
            if (next is null)
            {
                return CommandResult.NotAllowed;
            }

            var schedules = next == CampaignStates.Running;
            campaign.State = next;
            if (schedules)
            {
                campaign.StepToken = Guid.NewGuid().ToString("N");
                campaign.PreviousStepToken = null;
                campaign.StartedAt ??= time.GetUtcNow();
                await steps.ScheduleAsync(caller.OrgId, campaignId, campaign.StepToken, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }

            if (CampaignStates.IsFinal(next))
            {
                campaign.FinishedAt = time.GetUtcNow();
            }

            try
            {
                await campaigns.UpdateAsync(caller.OrgId, campaign, cancellationToken).ConfigureAwait(false);
            }
            catch (ConflictException) when (attempt < 5)
            {
                continue; // a step checkpointed meanwhile: apply the command to the fresh row
            }

            await audit.RecordAsync(caller, AuditActions.CampaignCommand, "campaign:" + campaignId, command, cancellationToken).ConfigureAwait(false);
            return CommandResult.Done;
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
