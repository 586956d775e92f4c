using System.Collections.Concurrent;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>What one realtime call's media socket carried and where it had to give way. Counts only, never audio.</summary>
public sealed class RealtimeCallStats
{
    private long _framesIn;
    private long _inboundDropped;
    private long _framesOut;
    private long _outboundDropped;
    private long _invalidMessages;
    private long _stopAudioSent;
    private long _agentFrames;
    private int _queued;
    private int _maxQueued;

    /// <summary>Audio frames ACS sent us.</summary>
    public long FramesIn => Interlocked.Read(ref _framesIn);

    /// <summary>Caller frames dropped because the model fell behind (the oldest go first).</summary>
    public long InboundDropped => Interlocked.Read(ref _inboundDropped);

    /// <summary>Agent frames written to the socket.</summary>
    public long FramesOut => Interlocked.Read(ref _framesOut);

    /// <summary>Agent frames dropped because the socket fell <see cref="RealtimeVoiceOptions.OutboundQueueFrames"/> behind.</summary>
    public long OutboundDropped => Interlocked.Read(ref _outboundDropped);

    /// <summary>Agent frames the model produced (sent, dropped, or stopped by barge-in).</summary>
    public long AgentFrames => Interlocked.Read(ref _agentFrames);

    public long InvalidMessages => Interlocked.Read(ref _invalidMessages);

    public long StopAudioSent => Interlocked.Read(ref _stopAudioSent);

    /// <summary>Agent frames waiting for the socket now, and the most that ever waited.</summary>
    public int Queued => Volatile.Read(ref _queued);

    public int MaxQueued => Volatile.Read(ref _maxQueued);

    internal void FrameIn() => Interlocked.Increment(ref _framesIn);

    internal void InboundDrop() => Interlocked.Increment(ref _inboundDropped);

    internal void FrameOut() => Interlocked.Increment(ref _framesOut);

    internal void OutboundDrop() => Interlocked.Increment(ref _outboundDropped);

    internal void AgentFrame() => Interlocked.Increment(ref _agentFrames);

    internal void Invalid() => Interlocked.Increment(ref _invalidMessages);

    internal void StopAudio() => Interlocked.Increment(ref _stopAudioSent);

    /// <summary>The agent frames waiting now, as the queue counts them.</summary>
    internal void Queue(int queued)
    {
        Volatile.Write(ref _queued, queued);
        int max;
        while (queued > (max = Volatile.Read(ref _maxQueued)) && Interlocked.CompareExchange(ref _maxQueued, queued, max) != max)
        {
        }
    }
}

/// <summary>
/// The realtime calls whose media socket is open in this process: one socket per call (a second connection with the
/// same token is refused while the first lives), and their counts, for the load run and tests.
/// </summary>
public sealed class RealtimeCallRegistry
{
    private readonly ConcurrentDictionary<string, RealtimeCallStats> _open = new(StringComparer.Ordinal);

    public int Count => _open.Count;

    public RealtimeCallStats? Find(string callId) => _open.GetValueOrDefault(callId);

    internal bool TryOpen(string callId, RealtimeCallStats stats) => _open.TryAdd(callId, stats);

    internal void Close(string callId) => _open.TryRemove(callId, out _);
}
