using System.Net.WebSockets;
using System.Threading.Channels;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>
/// One call's media socket, with a bounded queue each way so neither a slow model nor a socket nobody reads can grow
/// memory: caller frames wait for the model in at most <see cref="RealtimeVoiceOptions.InboundQueueFrames"/> (the
/// oldest dropped past it), agent frames wait for the socket in at most <see cref="RealtimeVoiceOptions.OutboundQueueFrames"/>
/// (new ones dropped past it), every drop counted. Messages are read whole up to <see cref="RealtimeVoiceOptions.MaxMessageBytes"/>
/// into one buffer, and audio is never written anywhere but the model and the socket.
/// </summary>
internal sealed class MediaSocket
{
    private readonly WebSocket _socket;
    private readonly RealtimeCallStats _stats;
    private readonly Channel<Outbound> _outbound;
    private readonly int _outboundFrames;
    private readonly byte[] _buffer;
    private int _generation;

    public MediaSocket(WebSocket socket, RealtimeVoiceOptions options, RealtimeCallStats stats)
    {
        (_socket, _stats) = (socket, stats);
        _buffer = new byte[options.MaxMessageBytes];
        _outboundFrames = options.OutboundQueueFrames;
        // One place more than the frames, so StopAudio always fits after the queue is emptied.
        _outbound = Channel.CreateBounded<Outbound>(new BoundedChannelOptions(options.OutboundQueueFrames + 1) { SingleWriter = true });
        Inbound = Channel.CreateBounded<ReadOnlyMemory<byte>>(
            new BoundedChannelOptions(options.InboundQueueFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => stats.InboundDrop());
    }

    /// <summary>Caller frames on their way to the model.</summary>
    public Channel<ReadOnlyMemory<byte>> Inbound { get; }

    /// <summary>Queues one agent frame for the socket; false (dropped, and counted) when the socket is that far behind.</summary>
    public bool TrySendAudio(ReadOnlyMemory<byte> frame)
    {
        _stats.AgentFrame();
        // The bridge's loop is the one writer, so the count it sees can only shrink before it writes.
        if (_outbound.Reader.Count < _outboundFrames && _outbound.Writer.TryWrite(new Outbound(frame, Volatile.Read(ref _generation))))
        {
            _stats.Queue(_outbound.Reader.Count);
            return true;
        }

        _stats.OutboundDrop();
        return false;
    }

    /// <summary>Barge-in: what is queued goes, and ACS is told to drop what it has not played yet.</summary>
    public void StopAudio()
    {
        Interlocked.Increment(ref _generation);
        while (_outbound.Reader.TryRead(out _))
        {
        }

        if (_outbound.Writer.TryWrite(Outbound.Stop))
        {
            _stats.StopAudio();
        }
    }

    /// <summary>Writes queued frames to the socket until it closes or <paramref name="cancellationToken"/> ends.</summary>
    public async Task WriteAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _outbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.IsStop)
            {
                await _socket.SendAsync(MediaFrames.StopAudio, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                continue;
            }

            _stats.Queue(_outbound.Reader.Count);
            if (item.Generation == Volatile.Read(ref _generation))
            {
                await _socket.SendAsync(MediaFrames.Audio(item.Pcm.Span), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                _stats.FrameOut();
            }
        }
    }

    /// <summary>
    /// The next message: a frame, or null for one that is not valid (counted, skipped). Throws <see cref="WebSocketClosedException"/>
    /// when the socket closes or sends more than the message limit.
    /// </summary>
    public async Task<MediaFrame?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        while (true)
        {
            if (count == _buffer.Length)
            {
                await CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too large", cancellationToken).ConfigureAwait(false);
                throw new WebSocketClosedException();
            }

            var read = await _socket.ReceiveAsync(_buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
            if (read.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketClosedException();
            }

            count += read.Count;
            if (read.EndOfMessage)
            {
                if (read.MessageType == WebSocketMessageType.Text && MediaFrames.TryParse(_buffer.AsSpan(0, count), out var frame))
                {
                    return frame;
                }

                _stats.Invalid();
                return null;
            }
        }
    }

    public async Task CloseAsync(WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await _socket.CloseOutputAsync(status, reason, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The other side is already gone.
            }
        }
    }

    private readonly record struct Outbound(ReadOnlyMemory<byte> Pcm, int Generation)
    {
        public static readonly Outbound Stop = new(ReadOnlyMemory<byte>.Empty, -1);

        public bool IsStop => Generation < 0;
    }
}

/// <summary>The media socket closed (ACS hung up, or it broke the protocol).</summary>
public sealed class WebSocketClosedException : Exception
{
    public WebSocketClosedException()
        : base("The media socket closed.")
    {
    }

    public WebSocketClosedException(string message)
        : base(message)
    {
    }

    public WebSocketClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
