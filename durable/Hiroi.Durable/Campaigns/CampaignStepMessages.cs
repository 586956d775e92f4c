using System.Text.Json;
using Azure.Storage.Queues.Models;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Durable.Campaigns;

/// <summary>A "step this campaign" message: which campaign, and the step token of the chain it belongs to.</summary>
public sealed record StepMessage(string Org, string Campaign, string Token);

/// <summary>
/// The self-host's driver queue. A message is one scheduled step; its visibility delay is the deferral (Azure Storage
/// caps it at seven days, so a longer wait is a step that defers again). Messages delivered too often go to the poison queue.
/// </summary>
public sealed class CampaignStepMessages(HiroiQueues queues)
{
    public const string Steps = "campaign-steps";
    public const string Poison = "campaign-steps-poison";

    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    public async Task ScheduleAsync(OrgId org, string campaignId, string token, TimeSpan delay, CancellationToken cancellationToken) =>
        await ScheduleAsync(new StepMessage(org.Value, campaignId, token), delay, cancellationToken).ConfigureAwait(false);

    /// <summary>Sends <paramref name="step"/> again, to be taken after <paramref name="delay"/>.</summary>
    public async Task ScheduleAsync(StepMessage step, TimeSpan delay, CancellationToken cancellationToken)
    {
        var queue = await queues.GetAsync(Steps, cancellationToken).ConfigureAwait(false);
        var visibility = delay <= TimeSpan.Zero ? (TimeSpan?)null : delay > MaxDelay ? MaxDelay : delay;
        // Never expires: a message deferred for days must still be there when it becomes visible.
        await queue.SendMessageAsync(JsonSerializer.Serialize(step), visibility, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<QueueMessage[]> TakeAsync(int max, TimeSpan visibility, CancellationToken cancellationToken)
    {
        var queue = await queues.GetAsync(Steps, cancellationToken).ConfigureAwait(false);
        return (await queue.ReceiveMessagesAsync(max, visibility, cancellationToken).ConfigureAwait(false)).Value;
    }

    public async Task DoneAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var queue = await queues.GetAsync(Steps, cancellationToken).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves a message that keeps failing to the poison queue (kept for an operator), then removes it.</summary>
    public async Task PoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var poison = await queues.GetAsync(Poison, cancellationToken).ConfigureAwait(false);
        await poison.SendMessageAsync(message.Body, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken).ConfigureAwait(false);
        await DoneAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public static (OrgId Org, StepMessage Step)? Read(QueueMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            var step = message.Body.ToObjectFromJson<StepMessage>();
            return step is { Org: not null, Campaign: not null, Token: not null } && OrgId.TryParse(step.Org, out var org) ? (org, step) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
