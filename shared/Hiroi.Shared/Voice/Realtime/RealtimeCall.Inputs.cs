using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>What feeds a realtime call's loop: the socket, the model, the call's row now and then, and timers.</summary>
internal sealed partial class RealtimeCall
{
    /// <summary>The first message must say the audio is the 24 kHz mono PCM we asked for, soon.</summary>
    private async Task<bool> MetadataAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_services.Options.MetadataTimeoutSeconds));
        try
        {
            if (await _socket.ReceiveAsync(timeout.Token).ConfigureAwait(false) is MediaFrame.Metadata { SampleRate: MediaFrames.SampleRate })
            {
                return true;
            }
        }
        catch (Exception e) when (e is WebSocketClosedException or WebSocketException or OperationCanceledException)
        {
            // Closed or silent: nothing to bridge.
        }

        Logger.LogInformation("Call {CallId}: the media socket did not start with 24 kHz AudioMetadata; closed", _call.RowKey);
        await _socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "expected AudioMetadata for pcm24KMono", CancellationToken.None).ConfigureAwait(false);
        return false;
    }

    /// <summary>ACS's messages: audio to the model's queue, keys to the loop; the loop ends when the socket does.</summary>
    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                switch (await _socket.ReceiveAsync(cancellationToken).ConfigureAwait(false))
                {
                    case MediaFrame.Audio audio:
                        _stats.FrameIn();
                        _socket.Inbound.Writer.TryWrite(audio.Pcm);
                        break;
                    case MediaFrame.Dtmf dtmf:
                        _inputs.Writer.TryWrite(new Keyed(dtmf.Tone));
                        break;
                    case null when _stats.InvalidMessages > 100:
                        await _socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData, "too many invalid messages", CancellationToken.None).ConfigureAwait(false);
                        return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketClosedException or WebSocketException or OperationCanceledException)
        {
            // ACS closed the socket: the call is over (or has moved on without us).
        }
        finally
        {
            _inputs.Writer.TryWrite(new Closed());
        }
    }

    /// <summary>Caller frames from the inbound queue to the model, one at a time (a slow model makes the queue drop its oldest).</summary>
    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        await foreach (var pcm in _socket.Inbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await _model.SendAudioAsync(pcm, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ModelEventsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in _model.EventsAsync(cancellationToken).ConfigureAwait(false))
            {
                _inputs.Writer.TryWrite(update);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger.LogWarning(e, "Call {CallId}: the realtime session failed", _call.RowKey);
        }
        finally
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                _modelEnded = true;
                _inputs.Writer.TryWrite(new Closed());
            }
        }
    }

    /// <summary>Reads the call's row now and then: what other instances decided reaches the call within a poll.</summary>
    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_services.Options.CallRowPollMilliseconds), Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (await _services.Calls.FindAsync(_org, _call.RowKey, cancellationToken).ConfigureAwait(false) is { } row)
                {
                    _inputs.Writer.TryWrite(new RowRead(row));
                }
            }
            catch (Azure.RequestFailedException e)
            {
                Logger.LogWarning("Call {CallId}: reading its row failed ({Status})", _call.RowKey, e.Status);
            }

            _inputs.Writer.TryWrite(new Tick());
        }
    }

    private async Task PostAfterAsync(TimeSpan wait, object input)
    {
        try
        {
            await Task.Delay(wait, Time, _stopping).ConfigureAwait(false);
            _inputs.Writer.TryWrite(input);
        }
        catch (OperationCanceledException)
        {
            // The session ended first.
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ChannelClosedException)
        {
            // Stopping.
        }
    }
}
