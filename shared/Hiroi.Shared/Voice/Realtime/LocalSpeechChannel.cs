using System.Collections.Concurrent;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>What a simulated caller is about to say: its words, and how many voiced 20 ms frames carry them.</summary>
public sealed record LocalUtterance(string Text, int VoicedFrames);

/// <summary>
/// The ACS simulator's side channel to the local realtime model, in one process (<c>./run</c>, tests): the simulator
/// announces an utterance's words here, by ACS call connection id, as it starts streaming its voiced frames, and the
/// local model takes them as its transcript (it hears only the frames' energy). Bounded: a few utterances per call, and
/// a call's entry goes when the call ends.
/// </summary>
public sealed class LocalSpeechChannel
{
    private const int MaxPending = 16;

    private readonly ConcurrentDictionary<string, ConcurrentQueue<LocalUtterance>> _pending = new(StringComparer.Ordinal);

    /// <summary>False when the call already has <see cref="MaxPending"/> utterances nobody took.</summary>
    public bool Announce(string callConnectionId, LocalUtterance utterance)
    {
        var queue = _pending.GetOrAdd(callConnectionId, _ => new ConcurrentQueue<LocalUtterance>());
        if (queue.Count >= MaxPending)
        {
            return false;
        }

        queue.Enqueue(utterance);
        return true;
    }

    public bool TryTake(string? callConnectionId, out LocalUtterance? utterance)
    {
        utterance = null;
        return callConnectionId is not null && _pending.TryGetValue(callConnectionId, out var queue) && queue.TryDequeue(out utterance);
    }

    public void Forget(string callConnectionId) => _pending.TryRemove(callConnectionId, out _);
}
