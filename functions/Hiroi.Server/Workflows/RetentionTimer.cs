using Hiroi.Durable.Workflows;
using Microsoft.Extensions.Options;

namespace Hiroi.Server.Workflows;

/// <summary>
/// The self-host's timer (the Functions app has a TimerTrigger on the same schedule): every
/// <see cref="RetentionSweepOptions.CheckSeconds"/> it starts today's sweep once its time has come (one orchestration
/// per day, however many instances ask) and the purge of any org still pending.
/// </summary>
public sealed class RetentionTimer(WorkflowStarter workflows, IOptions<RetentionSweepOptions> options, TimeProvider time, ILogger<RetentionTimer> logger) : BackgroundService
{
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
                await workflows.TickAsync(time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Whatever it was (the engine starting, storage away), the next tick asks again.
                logger.LogWarning(e, "Retention timer could not start its workflows; it tries again at the next tick");
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(options.Value.CheckSeconds), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
