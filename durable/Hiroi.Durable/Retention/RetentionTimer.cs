using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Hiroi.Durable.Campaigns;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Durable.Retention;

/// <summary>When the daily sweep runs (<c>Hiroi:RetentionSweep</c>).</summary>
public sealed class RetentionSweepOptions
{
    public const string Section = "Hiroi:RetentionSweep";

    public bool Enabled { get; set; } = true;

    /// <summary>Time of day (UTC, HH:mm) the daily run starts.</summary>
    [RegularExpression("^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    public string DailyAtUtc { get; set; } = "03:00";

    /// <summary>How often the timer looks at the clock and for unfinished runs.</summary>
    [Range(1, 3600)]
    public int CheckSeconds { get; set; } = 60;
}

/// <summary>
/// The self-host's timer: once a day at <see cref="RetentionSweepOptions.DailyAtUtc"/> it starts that day's sweep run
/// (one per day, however many instances), and it finishes any run left unfinished by a crash or restart, step by step.
/// At every check it also purges the orgs whose deletion was requested (see <see cref="OrgPurge"/>).
/// In the Functions app a TimerTrigger starts the run and the Durable orchestrator steps it.
/// </summary>
public sealed class RetentionTimer(RetentionSweep sweep, OrgPurge purge, IOptions<RetentionSweepOptions> options, TimeProvider time, ILogger<RetentionTimer> logger) : BackgroundService
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
                await TickAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Whatever it was, the host keeps running; the run resumes from its checkpoint at the next tick.
                logger.LogWarning(e, "Retention sweep interrupted; it resumes from its checkpoint");
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

    /// <summary>Purges deleted orgs whose time has come; starts today's run once its time has come, then runs every unfinished run to its end.</summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            await purge.RunPendingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A purge that cannot go on now (a transient fault) must not hold up the sweep; it goes on at the next tick.
            logger.LogWarning(e, "Org purge interrupted; it goes on at the next tick");
        }

        var now = time.GetUtcNow();
        var dailyAt = TimeSpan.ParseExact(options.Value.DailyAtUtc, @"hh\:mm", CultureInfo.InvariantCulture);
        if (now.UtcDateTime.TimeOfDay >= dailyAt)
        {
            await sweep.StartAsync(now, cancellationToken).ConfigureAwait(false);
        }

        foreach (var run in await sweep.UnfinishedAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await sweep.RunAsync(run, cancellationToken).ConfigureAwait(false) is StepOutcome.Continue)
            {
            }
        }
    }
}
