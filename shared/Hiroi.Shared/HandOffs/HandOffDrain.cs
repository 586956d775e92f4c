using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.HandOffs;

/// <summary>
/// The self-host's reader of one hand-off queue (the Functions app runs a queue trigger instead): receives messages under
/// a visibility timeout, handles them one by one in order, deletes each once done. A message that failed
/// <see cref="HandOffOptions.MaxDequeueCount"/> deliveries is moved to the poison queue (<c>{queue}-poison</c>, as the
/// Functions host names it) and logged by id only: what it holds may be an address.
/// </summary>
public sealed class HandOffDrain<T>(
    HandOffInbox<T> queue, IHandOffHandler<T> handler, HandOffQueues queues, HandOffProcessor processor, IOptions<HandOffOptions> options,
    TimeProvider time, ILogger<HandOffDrain<T>> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Drain)
        {
            logger.LogWarning("Hand-off queue {Queue} is not drained by this process ({Section}:Drain is false)", queue.Name, HandOffOptions.Section);
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = 0;
            try
            {
                handled = await DrainOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Storage unreachable: the messages wait in the queue; try again at the next poll.
                logger.LogWarning("Hand-off queue {Queue} not read: {Error}", queue.Name, e.GetType().Name);
            }

            if (handled == 0)
            {
                await queues.WaitForWorkAsync(queue.Name, TimeSpan.FromMilliseconds(settings.PollMilliseconds), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Receives and handles one batch; returns how many messages it received.</summary>
    public async Task<int> DrainOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var client = await queues.GetAsync(queue.Name, cancellationToken).ConfigureAwait(false);
        QueueMessage[] messages = await client.ReceiveMessagesAsync(16, TimeSpan.FromSeconds(settings.VisibilitySeconds), cancellationToken).ConfigureAwait(false);
        foreach (var message in messages)
        {
            if (message.DequeueCount > settings.MaxDequeueCount)
            {
                await PoisonAsync(client, message, cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                if (await processor.ProcessAsync(queue.Name, message.MessageText, handler, cancellationToken).ConfigureAwait(false) == HandOffResult.Done)
                {
                    await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Left in the queue: it is delivered again once its visibility timeout ends.
                logger.LogWarning("Hand-off {MessageId} on {Queue} failed (delivery {DequeueCount}): {Error}", message.MessageId, queue.Name, message.DequeueCount,
                    e.GetType().Name);
            }
        }

        return messages.Length;
    }

    /// <summary>Moves a message that keeps failing to the poison queue, where it expires after a week (the queues' longest life).</summary>
    private async Task PoisonAsync(QueueClient client, QueueMessage message, CancellationToken cancellationToken)
    {
        var poison = await queues.GetAsync(queue.Name + HandOffQueues.PoisonSuffix, cancellationToken).ConfigureAwait(false);
        await poison.SendMessageAsync(message.MessageText, visibilityTimeout: null, timeToLive: HandOffQueues.PoisonTimeToLive, cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Another reader moved it first; the poison queue then holds it twice, and both copies expire.
        }

        logger.LogError("Hand-off {MessageId} on {Queue} failed {DequeueCount} deliveries: moved to {PoisonQueue} at {At}", message.MessageId, queue.Name,
            message.DequeueCount, queues.PhysicalName(queue.Name + HandOffQueues.PoisonSuffix), time.GetUtcNow());
    }
}
