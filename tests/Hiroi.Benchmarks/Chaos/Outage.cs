using System.Diagnostics;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Benchmarks.Chaos;

/// <summary>
/// One dependency taken away for a while: frozen (SIGSTOP: connections open, no answers, as a hung server) or stopped
/// (SIGKILL: connections refused, as an outage or a failover), then given back (SIGCONT, or started again on the same
/// ports and data). <see cref="Ended"/> is when it was given back, the start of the recovery the run measures.
/// </summary>
public sealed class Outage(string dependency, FaultyDependency target, bool freeze)
{
    public string Name => $"{dependency} {(freeze ? "frozen" : "stopped")}";

    public TimeSpan? Began { get; private set; }

    public TimeSpan? Ended { get; private set; }

    public void Begin(Stopwatch clock)
    {
        Began = clock.Elapsed;
        if (freeze)
        {
            target.Freeze();
        }
        else
        {
            target.Stop();
        }
    }

    public async Task EndAsync(Stopwatch clock)
    {
        Ended = clock.Elapsed;
        if (freeze)
        {
            target.Thaw();
        }
        else
        {
            await target.StartAsync();
        }
    }

    /// <summary>Whether a request sent at <paramref name="at"/> met the outage.</summary>
    public bool During(TimeSpan at) => at >= Began && (Ended is null || at < Ended);
}
