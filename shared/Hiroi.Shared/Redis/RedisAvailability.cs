using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hiroi.Shared.Redis;

/// <summary>
/// Whether Redis answers: down from the first failed command, dropped connection or unanswered probe, up again when a
/// probe (a PING on the command and on the subscription connection, every second) is answered. Each outage is logged
/// once when it starts and once when it ends, and counted in <see cref="Outages"/>, so a reader can tell whether
/// anything Redis carried (a revocation message) may have been missed since it last looked.
/// </summary>
public sealed partial class RedisAvailability(ILogger logger) : IDisposable
{
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stop = new();
    private long _outages;
    private int _down;

    public bool IsUp => Volatile.Read(ref _down) == 0;

    /// <summary>How many outages have begun; unchanged while Redis stays up.</summary>
    public long Outages => Interlocked.Read(ref _outages);

    /// <summary>Raised (on the probe's thread) when Redis answers again after an outage.</summary>
    public event Action? Restored;

    /// <summary>Marks Redis down; the first report of an outage is logged, later ones are not.</summary>
    public void Lost(Exception? cause)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            Interlocked.Increment(ref _outages);
            LogDown(logger, cause?.GetType().Name ?? "no answer");
        }
    }

    /// <summary>
    /// Probes on the real clock (it measures a real server) until disposed. A probe that takes longer than
    /// <paramref name="timeout"/> counts as unanswered, so a frozen server is noticed within a couple of seconds.
    /// </summary>
    internal void StartProbing(IConnectionMultiplexer multiplexer, TimeSpan timeout)
    {
        var stop = _stop.Token;
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(ProbeEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                {
                    await ProbeAsync(multiplexer, timeout, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // disposed
            }
        });
    }

    private async Task ProbeAsync(IConnectionMultiplexer multiplexer, TimeSpan timeout, CancellationToken stop)
    {
        try
        {
            await Task.WhenAll(multiplexer.GetDatabase().PingAsync(), multiplexer.GetSubscriber().PingAsync()).WaitAsync(timeout, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Lost(e);
            return;
        }

        if (Interlocked.Exchange(ref _down, 0) == 1)
        {
            LogUp(logger);
            Restored?.Invoke();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis is unreachable ({Cause}): rate limits and failure counts count per instance and sign-in answers 503 until it answers again")]
    private static partial void LogDown(ILogger logger, string cause);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again: limits and failure counts are shared again")]
    private static partial void LogUp(ILogger logger);
}
