using DurableTask.Core.Exceptions;
using Grpc.Core;
using Hiroi.Durable.Agents;
using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Retention;
using Hiroi.Durable.Voice;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Durable.Workflows;

/// <summary>
/// The Durable Task client this call may use. The self-host has one for the process; in the Functions app the host
/// binds one to each invocation (<c>[DurableClient]</c>), so it is found per call.
/// </summary>
public interface IDurableClientSource
{
    DurableTaskClient Client { get; }
}

/// <summary>
/// Starts and wakes the workflows, each with a deterministic instance id: one orchestration per campaign, per org
/// purge and per day's sweep. Starting one that is already pending or running is a no-op, so every caller may simply ask.
/// </summary>
public sealed class WorkflowStarter(
    IDurableClientSource clients, OrgPurge purge, CampaignRepository campaigns, IOptions<RetentionSweepOptions> options, ILogger<WorkflowStarter> logger)
{
    private static readonly OrchestrationRuntimeStatus[] Live =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    private static readonly OrchestrationRuntimeStatus[] Finished =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    private readonly RetentionSchedule _schedule = new(options.Value.Schedule);

    public Task<bool> StartCampaignAsync(OrgId org, string campaignId, CancellationToken cancellationToken) =>
        StartAsync(CampaignOrchestration.Name, CampaignOrchestration.InstanceId(org, campaignId), new CampaignRun(org.Value, campaignId), Live, cancellationToken);

    /// <summary>Tells a campaign's orchestration to step now. Best effort: a sleeping orchestration also looks again by itself.</summary>
    public async Task WakeCampaignAsync(OrgId org, string campaignId, CancellationToken cancellationToken)
    {
        try
        {
            await clients.Client.RaiseEventAsync(CampaignOrchestration.InstanceId(org, campaignId), CampaignOrchestration.WakeEvent, "command", cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not wake campaign {CampaignId}; it looks again at its next timer", campaignId);
        }
    }

    /// <summary>Starts the agent's reply to a customer message unless it is running or done: a redelivered event asks again, harmlessly.</summary>
    public Task<bool> StartAgentReplyAsync(OrgId org, string messageKey, CancellationToken cancellationToken) =>
        StartAsync(AgentReplyOrchestration.Name, AgentReplyOrchestration.InstanceId(org, messageKey), new AgentTurnRequest(org.Value, messageKey),
            [.. Live, OrchestrationRuntimeStatus.Completed], cancellationToken);

    /// <summary>Starts the durable timer that ends a call at its maximum duration (once per call, however often it connects).</summary>
    public Task<bool> StartCallDeadlineAsync(OrgId org, string callId, DateTimeOffset endsAt, int graceSeconds, CancellationToken cancellationToken) =>
        StartAsync(CallDeadlineOrchestration.Name, CallDeadlineOrchestration.InstanceId(org, callId), new CallDeadline(org.Value, callId, endsAt, graceSeconds),
            [.. Live, OrchestrationRuntimeStatus.Completed], cancellationToken);

    public Task<bool> StartOrgPurgeAsync(OrgId org, CancellationToken cancellationToken) =>
        StartAsync(OrgPurgeOrchestration.Name, OrgPurgeOrchestration.InstanceId(org), new PurgeRun(org.Value), Live, cancellationToken);

    /// <summary>Starts the sweep of <paramref name="day"/> unless it has run or is running: however often a timer fires, a day is swept once.</summary>
    public Task<bool> StartSweepAsync(string day, CancellationToken cancellationToken) =>
        StartAsync(RetentionOrchestration.Name, RetentionOrchestration.InstanceId(day), new SweepRun(day),
            [.. Live, OrchestrationRuntimeStatus.Completed], cancellationToken);

    /// <summary>
    /// What a timer does when it fires: today's sweep once its time has come (and, with it, the history of workflows that
    /// finished before the history period), then <see cref="RecoverAsync"/>.
    /// </summary>
    public async Task TickAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_schedule.IsDue(now) && await StartSweepAsync(RetentionOrchestration.Day(now), cancellationToken).ConfigureAwait(false))
        {
            logger.LogInformation("Retention sweep {Day} started", RetentionOrchestration.Day(now));
            var purged = await clients.Client.PurgeAllInstancesAsync(
                // An explicit lower bound: the self-host's sidecar cannot read a filter without one.
                new PurgeInstancesFilter(DateTimeOffset.UnixEpoch, now - TimeSpan.FromDays(options.Value.WorkflowHistoryDays), Finished), cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Purged the history of {Count} finished workflows", purged.PurgedInstanceCount);
        }

        await RecoverAsync(now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A running campaign that has not stepped for this long while due has lost its workflow.</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Starts again what should be running and is not: the purge of every org still pending, and the workflow of every
    /// running campaign that has stalled (an orchestration that failed, was terminated, or lost its wake-up).
    /// </summary>
    public async Task RecoverAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var org in await purge.PendingAsync(cancellationToken).ConfigureAwait(false))
        {
            await StartOrgPurgeAsync(org, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (org, campaignId) in await campaigns.StalledAsync(now - StallAfter, now, cancellationToken).ConfigureAwait(false))
        {
            logger.LogWarning("Campaign {CampaignId} has not stepped for {Minutes} minutes; its workflow is started or woken again", campaignId, StallAfter.TotalMinutes);
            if (!await StartCampaignAsync(org, campaignId, cancellationToken).ConfigureAwait(false))
            {
                await WakeCampaignAsync(org, campaignId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="instanceId"/> unless an instance with that id is in one of <paramref name="unlessIn"/>. The
    /// status is read first because the Functions host applies its own dedupe setting rather than the one asked for here;
    /// the dedupe statuses and the conflict answers still close the race between two starters.
    /// </summary>
    private async Task<bool> StartAsync(TaskName name, string instanceId, object input, OrchestrationRuntimeStatus[] unlessIn, CancellationToken cancellationToken)
    {
        try
        {
            var existing = await clients.Client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
            if (existing is not null && unlessIn.Contains(existing.RuntimeStatus))
            {
                return false;
            }

            await clients.Client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(instanceId).WithDedupeStatuses(unlessIn), cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return false;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.AlreadyExists)
        {
            return false;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted)
        {
            throw new DependencyUnavailableException("The workflow engine is not reachable.", e);
        }
    }
}
