namespace Hiroi.Shared.Voice.Realtime;

/// <summary>Where a reply's audio sits on the call's playback timeline: ACS plays what it gets in real time, in order.</summary>
internal sealed class PlaybackTimeline
{
    private readonly List<(DateTimeOffset Start, TimeSpan Length)> _segments = [];

    /// <summary>Bytes of audio placed on the timeline.</summary>
    public long Bytes { get; private set; }

    public double Milliseconds => MediaFrames.Milliseconds(Bytes);

    public void Add(DateTimeOffset start, TimeSpan length, int bytes)
    {
        Bytes += bytes;
        if (_segments.Count > 0 && _segments[^1] is var last && last.Start + last.Length == start)
        {
            _segments[^1] = (last.Start, last.Length + length);
        }
        else
        {
            _segments.Add((start, length));
        }
    }

    /// <summary>How much of it the caller has heard by <paramref name="now"/>, in whole milliseconds.</summary>
    public double HeardMilliseconds(DateTimeOffset now) =>
        Math.Floor(_segments.Sum(s => Math.Clamp((now - s.Start).TotalMilliseconds, 0, s.Length.TotalMilliseconds)));
}

/// <summary>
/// The agent's audio on its way to ACS: cut into 20 ms frames, queued on the socket, and placed on the playback
/// timeline (a frame plays after the ones before it), so it is known when a reply has been heard to its end and how much
/// of it the caller heard when they cut in.
/// </summary>
internal sealed class AgentPlayback(MediaSocket socket, RealtimeCallStats stats, TimeProvider time)
{
    private readonly byte[] _partial = new byte[MediaFrames.FrameBytes];
    private int _partialBytes;

    /// <summary>When everything sent so far will have played.</summary>
    public DateTimeOffset PlayingUntil { get; private set; }

    public bool Playing => time.GetUtcNow() < PlayingUntil;

    public void Queue(PlaybackTimeline timeline, ReadOnlySpan<byte> pcm)
    {
        while (pcm.Length > 0)
        {
            var take = Math.Min(pcm.Length, _partial.Length - _partialBytes);
            pcm[..take].CopyTo(_partial.AsSpan(_partialBytes));
            _partialBytes += take;
            pcm = pcm[take..];
            if (_partialBytes == _partial.Length)
            {
                Send(timeline, _partial.ToArray());
            }
        }
    }

    /// <summary>A response ended: the last part frame goes too.</summary>
    public void Flush(PlaybackTimeline timeline)
    {
        if (_partialBytes > 0)
        {
            Send(timeline, _partial.AsSpan(0, _partialBytes).ToArray());
        }
    }

    /// <summary>Barge-in: ACS drops what it has not played (if anything is playing or waiting); nothing is owed any more.</summary>
    public void Stop()
    {
        if (Playing || stats.Queued > 0)
        {
            socket.StopAudio();
        }

        PlayingUntil = time.GetUtcNow();
        _partialBytes = 0;
    }

    private void Send(PlaybackTimeline timeline, byte[] frame)
    {
        _partialBytes = 0;
        var now = time.GetUtcNow();
        var start = PlayingUntil > now ? PlayingUntil : now;
        var length = TimeSpan.FromMilliseconds(MediaFrames.Milliseconds(frame.Length));
        timeline.Add(start, length, frame.Length);
        PlayingUntil = start + length;
        socket.TrySendAudio(frame);
    }
}
