using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Voice.Realtime;
using Microsoft.Extensions.Options;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// The simulated ACS end of realtime calls' media streams. A call answered with <c>mediaStreamingOptions</c> is
/// streamed as ACS does: the simulator connects to the transport URL, sends AudioMetadata, then a 20 ms frame every
/// 20 ms (50 a second, catching up in a burst if the machine fell behind): silence, or the caller's voice while they
/// speak. Speaking announces the words on the local model's side channel (<see cref="LocalSpeechChannel"/>) and sends
/// that many voiced frames. What comes back is played as ACS would, in real time, and recorded: frames, StopAudio, and
/// for each utterance the time from its last voiced frame to the agent's first frame after it. In memory only.
/// </summary>
public sealed class SimulatedMediaStreams(LocalSpeechChannel speech, IOptions<AcsSimulatorOptions> options, TimeProvider time, ILogger<SimulatedMediaStreams> logger)
    : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, StreamedCaller> _streams = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Starts streaming a call once it connects (after the usual event delay), as ACS opens the socket then.</summary>
    public void Start(string call, string callConnectionId, Uri transportUrl, bool readsAudio)
    {
        var stream = new StreamedCaller(call, callConnectionId, speech, time, readsAudio);
        if (_streams.TryAdd(call, stream))
        {
            _ = stream.RunAsync(transportUrl, TimeSpan.FromMilliseconds(options.Value.EventDelayMilliseconds), logger, _stopping.Token);
        }
    }

    public StreamedCaller? Find(string call) => _streams.GetValueOrDefault(call);

    /// <summary>The call ended: its socket closes (the platform's bridge ends with it).</summary>
    public void Stop(string call)
    {
        if (_streams.TryGetValue(call, out var stream))
        {
            stream.Stop();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var stream in _streams.Values)
        {
            stream.Stop();
        }
    }

    public void Dispose()
    {
        foreach (var stream in _streams.Values)
        {
            stream.Dispose();
        }

        _stopping.Dispose();
    }
}

/// <summary>One streamed call, as the simulated caller's side sees it.</summary>
public sealed class StreamedCaller : IDisposable
{
    public const int DefaultUtteranceMilliseconds = 1000;
    private const int MaxEvents = 400;
    private const int MaxLatencies = 10_000;

    private static readonly byte[] Silence = Message(new byte[MediaFrames.FrameBytes], silent: true);
    private static readonly byte[] Voice = Message(VoicedPcm(), silent: false);

    private readonly string _connectionId;
    private readonly LocalSpeechChannel _speech;
    private readonly TimeProvider _time;
    private readonly bool _readsAudio;
    private readonly ConcurrentQueue<Outgoing> _outgoing = new();
    private readonly List<StreamEvent> _events = [];
    private readonly List<double> _latencies = [];
    private readonly List<double> _bargeIns = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private long _sequence;
    private int _voicedLeft;
    private DateTimeOffset? _lastVoicedAt;
    private bool _utteranceStarting;
    private DateTimeOffset? _bargeInFrom;
    private DateTimeOffset _playingUntil;
    private double _receivedMs;
    private double _stoppedMs;

    internal StreamedCaller(string call, string connectionId, LocalSpeechChannel speech, TimeProvider time, bool readsAudio)
    {
        (Call, _connectionId, _speech, _time, _readsAudio) = (call, connectionId, speech, time, readsAudio);
    }

    public string Call { get; }

    public string State { get; private set; } = "connecting";

    public long FramesSent { get; private set; }

    public long VoicedFramesSent { get; private set; }

    public long FramesReceived { get; private set; }

    /// <summary>Frames the 50-a-second clock owed but sent late (in a burst after the machine stalled).</summary>
    public long LateFrames { get; private set; }

    /// <summary>The caller is speaking (voiced frames are going out).</summary>
    public bool Speaking => Volatile.Read(ref _voicedLeft) > 0 || !_outgoing.IsEmpty;

    /// <summary>The agent can be heard now: audio received and not yet played (nor stopped).</summary>
    public bool AgentSpeaking
    {
        get
        {
            lock (_gate)
            {
                return _time.GetUtcNow() < _playingUntil;
            }
        }
    }

    /// <summary>How much of the agent's audio the caller has heard so far.</summary>
    public double HeardMs
    {
        get
        {
            lock (_gate)
            {
                var unplayed = Math.Max(0, (_playingUntil - _time.GetUtcNow()).TotalMilliseconds);
                return _receivedMs - _stoppedMs - unplayed;
            }
        }
    }

    public IReadOnlyList<StreamEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Voice to voice: from each utterance's last voiced frame to the agent's first frame after it.</summary>
    public IReadOnlyList<double> LatenciesMs
    {
        get
        {
            lock (_gate)
            {
                return [.. _latencies];
            }
        }
    }

    /// <summary>Barge-in: from the first voiced frame of an utterance begun while the agent could be heard to the StopAudio after it.</summary>
    public IReadOnlyList<double> BargeInsMs
    {
        get
        {
            lock (_gate)
            {
                return [.. _bargeIns];
            }
        }
    }

    /// <summary>The caller says <paramref name="text"/> for <paramref name="ms"/> of voiced frames (after what they are saying now).</summary>
    public void Say(string text, int ms, string what)
    {
        _outgoing.Enqueue(new Outgoing(text, Math.Max(1, ms / 20)));
        Record(what, text.Length);
    }

    /// <summary>The caller presses keys: one DtmfData message each.</summary>
    public void Press(string tones)
    {
        foreach (var tone in tones)
        {
            _outgoing.Enqueue(new Outgoing(null, 0, tone));
        }

        Record("press", tones.Length);
    }

    internal void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed with the simulator.
        }
    }

    public void Dispose() => _stop.Dispose();

    internal async Task RunAsync(Uri transportUrl, TimeSpan connectAfter, ILogger logger, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _stop.Token);
        var token = linked.Token;
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("x-ms-call-connection-id", _connectionId);
        try
        {
            await Task.Delay(connectAfter, _time, token).ConfigureAwait(false);
            await socket.ConnectAsync(transportUrl, token).ConfigureAwait(false);
            State = "streaming";
            Record("connected", 0);
            var metadata = JsonSerializer.SerializeToUtf8Bytes(new
            {
                kind = "AudioMetadata",
                audioMetadata = new
                {
                    subscriptionId = Guid.NewGuid().ToString(), encoding = "PCM", sampleRate = MediaFrames.SampleRate, channels = 1, length = MediaFrames.FrameBytes,
                },
            });
            await socket.SendAsync(metadata, WebSocketMessageType.Text, true, token).ConfigureAwait(false);
            var receiving = _readsAudio ? ReceiveAsync(socket, token) : Task.CompletedTask;
            await SendAsync(socket, token).ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            if (e is WebSocketException)
            {
                logger.LogInformation("Simulated media stream of {Call}: {Message}", Call, e.Message);
            }
        }
        finally
        {
            State = socket.CloseStatus is { } status ? "closed:" + (int)status : "closed";
            Record("closed", 0);
            _speech.Forget(_connectionId);
            if (socket.State == WebSocketState.Open)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "call ended", quick.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or WebSocketException)
                {
                    // Gone already.
                }
            }
        }
    }

    /// <summary>A frame every 20 ms of the clock since the first one; frames owed after a stall go out at once.</summary>
    private async Task SendAsync(ClientWebSocket socket, CancellationToken token)
    {
        var start = _time.GetTimestamp();
        long sent = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20), _time);
        do
        {
            var due = (long)(_time.GetElapsedTime(start).TotalMilliseconds / 20) + 1;
            LateFrames += Math.Max(0, due - sent - 1);
            for (; sent < due && socket.State == WebSocketState.Open; sent++)
            {
                await SendFrameAsync(socket, token).ConfigureAwait(false);
            }
        }
        while (socket.State == WebSocketState.Open && await timer.WaitForNextTickAsync(token).ConfigureAwait(false));
    }

    private async Task SendFrameAsync(ClientWebSocket socket, CancellationToken token)
    {
        while (Volatile.Read(ref _voicedLeft) == 0 && _outgoing.TryDequeue(out var next))
        {
            if (next.Tone is { } tone)
            {
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { kind = "DtmfData", dtmfData = new { data = tone.ToString() } }),
                    WebSocketMessageType.Text, true, token).ConfigureAwait(false);
                continue;
            }

            _speech.Announce(_connectionId, new LocalUtterance(next.Text ?? string.Empty, next.Frames));
            Volatile.Write(ref _voicedLeft, next.Frames);
            lock (_gate)
            {
                _utteranceStarting = true;
                _bargeInFrom = null;
            }

            Record("voice-start", next.Frames);
        }

        var voiced = Volatile.Read(ref _voicedLeft) > 0;
        await socket.SendAsync(voiced ? Voice : Silence, WebSocketMessageType.Text, true, token).ConfigureAwait(false);
        FramesSent++;
        if (voiced)
        {
            VoicedFramesSent++;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                if (_utteranceStarting && now < _playingUntil)
                {
                    // The caller cut in: the clock runs until ACS is told to stop the agent's audio.
                    _bargeInFrom = now;
                }

                _utteranceStarting = false;
            }

            if (Interlocked.Decrement(ref _voicedLeft) == 0)
            {
                lock (_gate)
                {
                    _lastVoicedAt = _time.GetUtcNow();
                }

                Record("voice-end", 0);
            }
        }
    }

    /// <summary>The agent's messages, as ACS takes them: AudioData plays after what is already playing; StopAudio drops what has not played.</summary>
    private async Task ReceiveAsync(ClientWebSocket socket, CancellationToken token)
    {
        var buffer = new byte[256 * 1024];
        while (socket.State == WebSocketState.Open)
        {
            var count = 0;
            ValueWebSocketReceiveResult read;
            do
            {
                read = await socket.ReceiveAsync(buffer.AsMemory(count), token).ConfigureAwait(false);
                count += read.Count;
            }
            while (!read.EndOfMessage && count < buffer.Length);

            if (read.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (!read.EndOfMessage)
            {
                continue; // larger than any frame the platform sends: not one
            }

            using var message = JsonDocument.Parse(buffer.AsMemory(0, count));
            var kind = message.RootElement.GetProperty("Kind").GetString();
            if (kind == "AudioData")
            {
                var bytes = message.RootElement.GetProperty("AudioData").GetProperty("Data").GetBytesFromBase64().Length;
                Played(MediaFrames.Milliseconds(bytes));
            }
            else if (kind == "StopAudio")
            {
                Stopped();
            }
        }
    }

    private void Played(double ms)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            FramesReceived++;
            _receivedMs += ms;
            if (_lastVoicedAt is { } lastVoiced)
            {
                // The first agent frame after an utterance: the platform's voice-to-voice time (the local model thinks in no time).
                if (_latencies.Count < MaxLatencies)
                {
                    _latencies.Add((now - lastVoiced).TotalMilliseconds);
                }

                _lastVoicedAt = null;
                AddEvent("agent-audio", 0, now);
            }
            else if (now >= _playingUntil)
            {
                AddEvent("agent-audio", 0, now);
            }

            _playingUntil = (_playingUntil > now ? _playingUntil : now) + TimeSpan.FromMilliseconds(ms);
        }
    }

    private void Stopped()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _stoppedMs += Math.Max(0, (_playingUntil - now).TotalMilliseconds);
            _playingUntil = now;
            if (_bargeInFrom is { } from && _bargeIns.Count < MaxLatencies)
            {
                _bargeIns.Add((now - from).TotalMilliseconds);
            }

            _bargeInFrom = null;
            AddEvent("stop-audio", 0, now);
        }
    }

    private void Record(string what, int size)
    {
        lock (_gate)
        {
            AddEvent(what, size, _time.GetUtcNow());
        }
    }

    private void AddEvent(string what, int size, DateTimeOffset at)
    {
        if (_events.Count < MaxEvents)
        {
            _events.Add(new StreamEvent(++_sequence, what, size, at, _receivedMs));
        }
    }

    private static byte[] Message(byte[] pcm, bool silent) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            kind = "AudioData",
            audioData = new { timestamp = "2025-01-01T00:00:00.000Z", participantRawID = "4:+15550000000", data = Convert.ToBase64String(pcm), silent },
        }));

    /// <summary>A 200 Hz tone, loud enough for any speech detector: whole cycles in 20 ms, so frames join cleanly.</summary>
    private static byte[] VoicedPcm()
    {
        var pcm = new byte[MediaFrames.FrameBytes];
        for (var i = 0; i < pcm.Length / 2; i++)
        {
            var sample = (short)(8000 * Math.Sin(2 * Math.PI * 200 * i / MediaFrames.SampleRate));
            pcm[2 * i] = (byte)sample;
            pcm[(2 * i) + 1] = (byte)(sample >> 8);
        }

        return pcm;
    }

    private sealed record Outgoing(string? Text, int Frames, char? Tone = null);
}

/// <summary>Something that happened on a streamed call, in order (<paramref name="Seq"/>), with the agent audio received by then.</summary>
public sealed record StreamEvent(long Seq, string What, int Size, DateTimeOffset At, double ReceivedMs);
