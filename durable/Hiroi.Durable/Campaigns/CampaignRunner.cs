using Azure.Storage.Queues.Models;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Durable.Campaigns;

/// <summary>
/// The self-host's campaign driver: takes step messages from the queue (several at once, so campaigns run side by
/// side), runs the step, schedules the next one (now, or at the deferral time) and only then deletes the message it
/// ran. A worker that dies leaves its message to reappear after the visibility timeout; a message delivered more than
/// <see cref="CampaignRunnerOptions.MaxDequeueCount"/> times goes to the poison queue and its campaign is marked failed.
/// </summary>
public sealed class CampaignRunner(
    CampaignStepMessages queue, IServiceProvider services, CampaignCommands commands, IOptions<CampaignRunnerOptions> options,
    TimeProvider time, ILogger<CampaignRunner> logger) : BackgroundService
{
    // The step reaches ACS through HTTP clients; resolving it when the first message arrives, not while the host starts,
    // keeps hosted-service construction free of them (an in-memory test server builds its handlers from the started host).
    private readonly Lazy<CampaignStep> _step = new(services.GetRequiredService<CampaignStep>);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunOnceAsync(stoppingToken).ConfigureAwait(false) == 0)
                {
                    await Task.Delay(options.Value.PollMilliseconds, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever it was, the host keeps running; messages not finished come back after their visibility timeout.
                logger.LogWarning(e, "Campaign queue unavailable; polling again shortly");
                await Task.Delay(options.Value.PollMilliseconds, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Takes one round of messages and runs them; returns how many were taken.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var messages = await queue.TakeAsync(options.Value.Concurrency, TimeSpan.FromSeconds(options.Value.VisibilitySeconds), cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(messages.Select(m => HandleAsync(m, cancellationToken))).ConfigureAwait(false);
        return messages.Length;
    }

    private async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        if (CampaignStepMessages.Read(message) is not { } read)
        {
            logger.LogWarning("Unreadable campaign step message {MessageId}: moved to the poison queue", message.MessageId);
            await queue.PoisonAsync(message, cancellationToken).ConfigureAwait(false);
            return;
        }

        var (org, request) = read;
        if (message.DequeueCount > options.Value.MaxDequeueCount)
        {
            await commands.FailAsync(org, request.Campaign, $"A step failed {message.DequeueCount - 1} times in a row.", cancellationToken).ConfigureAwait(false);
            await queue.PoisonAsync(message, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            var nextToken = Guid.NewGuid().ToString("N");
            // A chain counts as lost once no step has run for two visibility periods: a live one redelivers within one.
            var orphanGrace = TimeSpan.FromSeconds(2 * options.Value.VisibilitySeconds);
            var outcome = await _step.Value.RunAsync(new StepRequest(org, request.Campaign, request.Token, nextToken, orphanGrace), cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case StepOutcome.Continue:
                    await queue.ScheduleAsync(org, request.Campaign, nextToken, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                    break;
                case StepOutcome.DeferUntil defer:
                    await queue.ScheduleAsync(org, request.Campaign, nextToken, defer.At - time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    break;
                case StepOutcome.NotCurrent notCurrent:
                    // Maybe the last of a chain whose driver died: look again when it would count as orphaned.
                    await queue.ScheduleAsync(request, notCurrent.OrphanedAt - time.GetUtcNow() + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                    break;
            }

            await queue.DoneAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Left on the queue: it comes back after the visibility timeout, and to the poison queue if it keeps failing.
            logger.LogWarning(e, "Step of campaign {CampaignId} failed (delivery {DequeueCount})", request.Campaign, message.DequeueCount);
        }
    }
}
