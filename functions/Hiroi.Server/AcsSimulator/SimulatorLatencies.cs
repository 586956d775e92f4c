using System.Collections.Concurrent;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// What the platform's answers took, measured where ACS would measure them: from the moment the simulator starts
/// delivering an event (an IncomingCall, a caller's RecognizeCompleted) to the moment the platform's next request for
/// that call arrives (the answer, the next recognize). For the load run (<c>GET /simulate/latencies</c>); in memory only.
/// </summary>
public sealed class SimulatorLatencies(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _measured = new(StringComparer.Ordinal);

    /// <summary>The simulator starts delivering what <paramref name="subject"/> must answer.</summary>
    public void Sent(string subject) => _waiting[subject] = time.GetUtcNow();

    /// <summary>The platform answered <paramref name="subject"/>: how long that took counts under <paramref name="kind"/>.</summary>
    public void Answered(string subject, string kind)
    {
        if (_waiting.TryRemove(subject, out var since))
        {
            _measured.GetOrAdd(kind, _ => new ConcurrentQueue<double>()).Enqueue((time.GetUtcNow() - since).TotalMilliseconds);
        }
    }

    /// <summary>Every measurement so far by kind, in milliseconds; <paramref name="reset"/> starts afresh.</summary>
    public IReadOnlyDictionary<string, double[]> Snapshot(bool reset)
    {
        var snapshot = _measured.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        if (reset)
        {
            _measured.Clear();
        }

        return snapshot;
    }
}
