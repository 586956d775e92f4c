using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>
/// One realtime call: its media socket bridged to a model session. All of the conversation's state is changed by one
/// loop, fed by the socket (keys), the model (speech, words, audio, tool calls, responses), timers and storage; audio goes
/// from the socket straight to the model and from the model straight to the socket, never through storage or the loop's
/// waits. Everything the call stores (transcript lines, turn records, decisions on its row, settled usage) is done by
/// one worker in order, off the audio path. Barge-in: when the caller starts speaking while the agent talks, ACS is told
/// to stop (<c>StopAudio</c>), the model's response is cancelled and its item cut at what the caller heard, and the
/// transcript keeps what they heard. Each response is reserved against the caps before it is asked for: a turn's
/// reservation is taken as the caller starts speaking (or a tool is called), so the reply does not wait for it.
/// </summary>
internal sealed class RealtimeCall(
    RealtimeCalls services, OrgId org, CallEntity call, AgentEntity agent, string deployment, MediaSocket socket, RealtimeMeter meter,
    IReadOnlyList<AIFunction> tenantTools, RealtimeCallStats stats, string? connectionId)
{
    private const int MaxKeys = 32;
    private static readonly TimeSpan KeyTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(20);

    private readonly Channel<object> _inputs = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<Func<Task>> _storage = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Queue<Requested> _requested = new();
    private readonly Dictionary<string, Requested> _responses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _callerItems = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _earlyWords = new(StringComparer.Ordinal);
    private readonly StringBuilder _keys = new();
    private readonly byte[] _partial = new byte[MediaFrames.FrameBytes];
    private readonly bool _canTransfer = agent.Voice().TransferNumber is not null;
    private readonly bool _acceptsKeys = agent.Voice().AcceptDtmf;

    private IRealtimeVoiceSession _model = null!;
    private CancellationToken _stopping;
    private int _partialBytes;
    private int _turn = call.VoiceTurn;
    private int _replies;
    private bool _ended;
    private bool _transferring;
    private bool _closed;
    private bool _modelEnded;
    private Reply? _reply;
    private Task<HeldReservation>? _next;
    private Task? _watched;
    private DateTimeOffset _playingUntil;
    private DateTimeOffset _lastKeyAt;
    private string? _greeting;

    private TimeProvider Time => services.Time;

    private ILogger Logger => services.Logger;

    public async Task RunAsync(IRealtimeVoice model, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stopping = stop.Token;
        if (!await MetadataAsync(stop.Token).ConfigureAwait(false))
        {
            return;
        }

        var declarations = tenantTools.Concat(new VoiceTools().For(_canTransfer)).Cast<AIFunctionDeclaration>().ToList();
        _model = await model.OpenAsync(new RealtimeSetup(call.RowKey, connectionId, deployment, agent.Instructions, declarations, agent.Voice()), stop.Token)
            .ConfigureAwait(false);
        await using (_model.ConfigureAwait(false))
        {
            var storage = StoreAsync();
            var running = new[] { socket.WriteAsync(stop.Token), ReadAsync(stop.Token), PumpAsync(stop.Token), ModelEventsAsync(stop.Token), PollAsync(stop.Token) };
            try
            {
                await StartAsync().ConfigureAwait(false);
                await LoopAsync(stop.Token).ConfigureAwait(false);
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await Quietly(Task.WhenAll(running)).ConfigureAwait(false);
                End();
                _storage.Writer.TryComplete();
                await storage.ConfigureAwait(false);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "call ended", CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The first message must say the audio is the 24 kHz mono PCM we asked for, soon.</summary>
    private async Task<bool> MetadataAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(services.Options.MetadataTimeoutSeconds));
        try
        {
            if (await socket.ReceiveAsync(timeout.Token).ConfigureAwait(false) is MediaFrame.Metadata { SampleRate: MediaFrames.SampleRate })
            {
                return true;
            }
        }
        catch (Exception e) when (e is WebSocketClosedException or WebSocketException or OperationCanceledException)
        {
            // Closed or silent: nothing to bridge.
        }

        Logger.LogInformation("Call {CallId}: the media socket did not start with 24 kHz AudioMetadata; closed", call.RowKey);
        await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "expected AudioMetadata for pcm24KMono", CancellationToken.None).ConfigureAwait(false);
        return false;
    }

    /// <summary>The greeting, unless the call is past it (a socket opened again).</summary>
    private async Task StartAsync()
    {
        if (call.VoiceTurn == 0 && call.ListenTurn < 0 && call.Ending is null)
        {
            _greeting = await services.Lines.ForAsync(org, call, agent, new MediaContext(0, MediaPurpose.Prompt), _stopping).ConfigureAwait(false);
            _reply = new Reply(++_replies, 0, Greeting: true);
            await RespondAsync().ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var input in _inputs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (input)
            {
                case RealtimeEvent update:
                    await OnModelAsync(update).ConfigureAwait(false);
                    break;
                case Keyed keyed:
                    await OnKeyAsync(keyed.Tone).ConfigureAwait(false);
                    break;
                case Reserved when _reply is { WantsResponse: true, Responding: false } && _next is { IsCompleted: true }:
                    await RespondAsync().ConfigureAwait(false);
                    break;
                case ToolAnswered answered:
                    await OnToolAnsweredAsync(answered).ConfigureAwait(false);
                    break;
                case PlayedOut played:
                    OnPlayedOut(played.ReplyId);
                    break;
                case RowRead row:
                    await OnRowAsync(row.Call).ConfigureAwait(false);
                    break;
                case Tick when _keys.Length > 0 && Time.GetUtcNow() - _lastKeyAt >= KeyTimeout:
                    await KeysDoneAsync().ConfigureAwait(false);
                    break;
                case Closed:
                    return;
            }

            if (_closed)
            {
                return;
            }
        }
    }

    private async Task OnModelAsync(RealtimeEvent update)
    {
        switch (update)
        {
            case RealtimeEvent.SpeechStarted:
                if (Speaking())
                {
                    await InterruptAsync().ConfigureAwait(false);
                }

                // The caller's turn has begun: its response's reservation is taken while they speak.
                if (!_ended && !_transferring)
                {
                    _next ??= ReserveAsync();
                }

                break;
            case RealtimeEvent.CallerTranscript words:
                await OnCallerWordsAsync(words.ItemId, words.Text).ConfigureAwait(false);
                break;
            case RealtimeEvent.SpeechEnded ended:
                var known = _earlyWords.Remove(ended.ItemId, out var early) ? early : null;
                await CallerTurnAsync(ended.ItemId, known, "speech").ConfigureAwait(false);
                break;
            case RealtimeEvent.ResponseStarted started when _requested.TryDequeue(out var requested):
                _responses[started.ResponseId] = requested;
                break;
            case RealtimeEvent.AgentText text when Current(text.ResponseId) is { } reply:
                reply.Text.Append(text.Delta);
                break;
            case RealtimeEvent.AgentAudio audio when Current(audio.ResponseId) is { } reply:
                reply.ItemId = audio.ItemId;
                Queue(reply, audio.Pcm.Span);
                break;
            case RealtimeEvent.ToolCall tool when Current(tool.ResponseId) is { } reply:
                reply.Called.Add(tool.Name);
                reply.ToolsPending++;
                _next ??= ReserveAsync(); // for the response that takes the tool's answer
                _ = CallToolAsync(reply, tool);
                break;
            case RealtimeEvent.ResponseDone done:
                await OnResponseDoneAsync(done).ConfigureAwait(false);
                break;
            case RealtimeEvent.Failed failed:
                Logger.LogWarning("Call {CallId}: the realtime model reported {Code}", call.RowKey, failed.Code);
                break;
        }
    }

    /// <summary>The agent is talking, or about to: a response runs, a tool is working, or its audio has not all played.</summary>
    private bool Speaking() =>
        _reply is { } reply && (reply.Responding || reply.ToolsPending > 0 || Time.GetUtcNow() < _playingUntil);

    /// <summary>The reply a response belongs to, if it is still the one being given.</summary>
    private Reply? Current(string responseId) =>
        _responses.TryGetValue(responseId, out var requested) && requested.Reply is { } reply && reply == _reply && !_ended && !_transferring ? reply : null;

    /// <summary>The caller's words: to the transcript under their turn, masked; an opt-out stops the agent there.</summary>
    private async Task OnCallerWordsAsync(string itemId, string text)
    {
        if (!_callerItems.TryGetValue(itemId, out var turn))
        {
            if (_earlyWords.Count < 32)
            {
                _earlyWords[itemId] = text;
            }

            return;
        }

        WriteCallerLine(turn, text, "speech");
        if (turn == _turn && !_ended && CallerPhrases.IsOptOut(text))
        {
            await InterruptAsync().ConfigureAwait(false);
            _ended = true;
            Decide(new VoiceEvent.OptOutHeard(turn));
        }
    }

    /// <summary>The caller finished an utterance (or keyed one): a new turn, and the agent's reply to it.</summary>
    private async Task CallerTurnAsync(string? itemId, string? text, string via)
    {
        if (_transferring && !_ended && await services.Calls.FindAsync(org, call.RowKey, _stopping).ConfigureAwait(false) is { } row)
        {
            // A transfer was under way when last read: it may have failed since (the conversation goes on).
            await OnRowAsync(row).ConfigureAwait(false);
        }

        if (_ended || _transferring)
        {
            return;
        }

        if (_reply is { Done: true } heard && Time.GetUtcNow() >= _playingUntil)
        {
            // Played to its end just now: finished, not cut.
            OnPlayedOut(heard.Id);
        }
        else if (_reply is not null)
        {
            await InterruptAsync().ConfigureAwait(false);
        }

        var turn = ++_turn;
        if (itemId is not null)
        {
            _callerItems[itemId] = turn;
        }

        if (text is not null)
        {
            WriteCallerLine(turn, text, via);
        }

        var reply = new Reply(++_replies, turn, Greeting: false);
        Store(async () => reply.Record = await services.Turns.StartAsync(org, VoiceTurnRunner.TurnKey(call.RowKey, turn), VoiceTurnRunner.Channel, Time.GetUtcNow(), CancellationToken.None)
            .ConfigureAwait(false));
        var optOut = via == "speech" && CallerPhrases.IsOptOut(text);
        Decide(new VoiceEvent.Heard(turn - 1, optOut));
        if (optOut)
        {
            _ended = true;
            return;
        }

        _reply = reply;
        if (via == "dtmf")
        {
            await _model.AddCallerTextAsync(CardNumbers.Mask(text!), _stopping).ConfigureAwait(false);
        }

        await RespondAsync().ConfigureAwait(false);
    }

    private async Task OnKeyAsync(char tone)
    {
        if (!_acceptsKeys || _ended || _transferring)
        {
            return;
        }

        if (Speaking())
        {
            await InterruptAsync().ConfigureAwait(false);
        }

        _keys.Append(tone);
        _lastKeyAt = Time.GetUtcNow();
        _next ??= ReserveAsync();
        if (tone == '#' || _keys.Length >= MaxKeys)
        {
            await KeysDoneAsync().ConfigureAwait(false);
        }
    }

    private async Task KeysDoneAsync()
    {
        var keys = _keys.ToString();
        _keys.Clear();
        await CallerTurnAsync(null, keys, "dtmf").ConfigureAwait(false);
    }

    /// <summary>Asks the model for the reply's next response once its reservation is held; refused by a cap, the call ends.</summary>
    private async Task RespondAsync()
    {
        var reply = _reply!;
        reply.WantsResponse = true;
        _next ??= ReserveAsync();
        if (!_next.IsCompleted)
        {
            if (_watched != _next)
            {
                _watched = _next;
                _ = _next.ContinueWith(_ => _inputs.Writer.TryWrite(new Reserved()), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }

            return;
        }

        var held = await _next.ConfigureAwait(false);
        _next = null;
        if (held.Reservation is not { } reservation)
        {
            Refuse(reply, held.Refusal?.Reason ?? "no reservation");
            return;
        }

        reply.WantsResponse = false;
        reply.Responding = true;
        _requested.Enqueue(new Requested(reply, reservation));
        if (reply.Greeting)
        {
            await _model.SayAsync(_greeting!, _stopping).ConfigureAwait(false);
        }
        else
        {
            await _model.RespondAsync(_stopping).ConfigureAwait(false);
        }
    }

    private async Task OnResponseDoneAsync(RealtimeEvent.ResponseDone done)
    {
        if (!_responses.Remove(done.ResponseId, out var requested) && !_requested.TryDequeue(out requested))
        {
            return;
        }

        var reply = requested.Reply;
        var newTurn = reply is { Greeting: false, Settled: false };
        reply.Settled = true;
        Store(async () =>
        {
            await meter.SettleAsync(requested.Reservation, done.Usage, newTurn).ConfigureAwait(false);
            reply.Usage(done.Usage, meter.CostOf(done.Usage));
        });

        if (reply != _reply)
        {
            return;
        }

        reply.Responding = false;
        FlushPartial(reply);
        if (done.Cancelled || reply.ToolsPending > 0)
        {
            return;
        }

        if (reply.WantsResponse)
        {
            await RespondAsync().ConfigureAwait(false);
            return;
        }

        reply.Done = true;
        PlayOut(reply);
    }

    /// <summary>Runs a tool the model called (the tenant's, secrets resolved server-side, or the call's own) off the loop.</summary>
    private async Task CallToolAsync(Reply reply, RealtimeEvent.ToolCall tool)
    {
        string output;
        try
        {
            var function = tenantTools.Concat(reply.Tools.For(_canTransfer)).FirstOrDefault(f => f.Name == tool.Name);
            output = function is null
                ? $"There is no tool called {tool.Name}."
                : Text(await function.InvokeAsync(new AIFunctionArguments(Arguments(tool.Arguments)), _stopping).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger.LogWarning(e, "Call {CallId}: tool {Tool} failed", call.RowKey, tool.Name);
            output = "The tool failed.";
        }

        _inputs.Writer.TryWrite(new ToolAnswered(reply, tool.ToolCallId, output));
    }

    private async Task OnToolAnsweredAsync(ToolAnswered answered)
    {
        // The model hears every answer it asked for, even one to a reply the caller has since talked over.
        await _model.AddToolResultAsync(answered.ToolCallId, answered.Output, _stopping).ConfigureAwait(false);
        var reply = answered.Reply;
        if (reply != _reply || --reply.ToolsPending > 0)
        {
            return;
        }

        reply.WantsResponse = true;
        if (!reply.Responding)
        {
            await RespondAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The agent's audio as 20 ms frames on the playback timeline (a frame plays after the ones before it).</summary>
    private void Queue(Reply reply, ReadOnlySpan<byte> pcm)
    {
        while (pcm.Length > 0)
        {
            var take = Math.Min(pcm.Length, _partial.Length - _partialBytes);
            pcm[..take].CopyTo(_partial.AsSpan(_partialBytes));
            _partialBytes += take;
            pcm = pcm[take..];
            if (_partialBytes == _partial.Length)
            {
                Send(reply, _partial.ToArray());
            }
        }
    }

    private void FlushPartial(Reply reply)
    {
        if (_partialBytes > 0)
        {
            Send(reply, _partial.AsSpan(0, _partialBytes).ToArray());
        }
    }

    private void Send(Reply reply, byte[] frame)
    {
        _partialBytes = 0;
        var now = Time.GetUtcNow();
        var start = _playingUntil > now ? _playingUntil : now;
        var length = TimeSpan.FromMilliseconds(MediaFrames.Milliseconds(frame.Length));
        reply.Played.Add(start, length);
        reply.Bytes += frame.Length;
        _playingUntil = start + length;
        socket.TrySendAudio(frame);
    }

    /// <summary>Once the reply has played to its end, it is the caller's turn (or the call transfers or ends).</summary>
    private void PlayOut(Reply reply)
    {
        var wait = _playingUntil - Time.GetUtcNow();
        _ = PostAfterAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, new PlayedOut(reply.Id));
    }

    private void OnPlayedOut(int replyId)
    {
        if (_reply is not { Done: true } reply || reply.Id != replyId)
        {
            return;
        }

        if (Time.GetUtcNow() < _playingUntil)
        {
            PlayOut(reply);
            return;
        }

        _reply = null;
        var kind = reply.Tools.Kind;
        if (!reply.Greeting)
        {
            var text = CardNumbers.Mask(reply.Text.ToString().Trim());
            WriteAgentLine(reply, text, cutAfterMs: null);
        }

        FinishRecord(reply, TurnStates.Replied, null);
        Decide(new VoiceEvent.ReplyReady(reply.Turn, kind));
    }

    /// <summary>
    /// The agent stops mid-reply (the caller cut in, or the call is ending): ACS drops what it has not played, the
    /// response is cancelled, the model's item and the transcript keep what the caller heard.
    /// </summary>
    private async Task InterruptAsync()
    {
        if (_reply is not { } reply)
        {
            return;
        }

        _reply = null;
        var now = Time.GetUtcNow();
        // Whole milliseconds: the model's item and the transcript are cut at the same point.
        var heardMs = Math.Floor(reply.Played.HeardMilliseconds(now));
        if (reply.Bytes > 0 && (now < _playingUntil || stats.Queued > 0))
        {
            socket.StopAudio();
        }

        _playingUntil = now;
        _partialBytes = 0;
        if (reply.Responding)
        {
            await _model.CancelResponseAsync(_stopping).ConfigureAwait(false);
        }

        if (reply.ItemId is { } item && reply.Bytes > 0)
        {
            await _model.TruncateAsync(item, TimeSpan.FromMilliseconds(heardMs), _stopping).ConfigureAwait(false);
        }

        Cut(reply, heardMs);
    }

    /// <summary>The transcript keeps the part of the reply the caller heard (the greeting's line is already there).</summary>
    private void Cut(Reply reply, double heardMs)
    {
        var heard = CardNumbers.Mask(HeardPart(reply.Text.ToString().Trim(), heardMs, MediaFrames.Milliseconds(reply.Bytes)));
        var ms = (int)heardMs;
        if (reply.Greeting)
        {
            Store(() => services.Transcripts.MarkCutAsync(org, call.RowKey, 0, heard, ms, CancellationToken.None));
        }
        else
        {
            WriteAgentLine(reply, heard, ms);
        }

        FinishRecord(reply, TurnStates.Replied, null);
    }

    /// <summary>A cap refused the reply's next response: audited, and the call says the cap line and ends (<see cref="VoiceDecisions"/>).</summary>
    private void Refuse(Reply reply, string reason)
    {
        _reply = null;
        _ended = true;
        var who = Caller.System(org, "agent:" + agent.RowKey);
        Store(() => services.Audit.RecordAsync(who, AuditActions.AgentTurnRefused, "agent:" + agent.RowKey, reason, CancellationToken.None));
        if (reply.Greeting)
        {
            // Its line was written as the call began; the caller never heard it.
            Store(() => services.Transcripts.MarkUnspokenAsync(org, call.RowKey, 0, CancellationToken.None));
        }

        FinishRecord(reply, TurnStates.Refused, reason);
        Decide(new VoiceEvent.ReplyReady(reply.Turn, ReplyKind.Refused));
    }

    /// <summary>What other instances decided: a goodbye (the deadline, a cap), a transfer under way or failed, the call's end.</summary>
    private async Task OnRowAsync(CallEntity row)
    {
        if (CallStates.IsTerminal(row.State))
        {
            _closed = true;
            return;
        }

        var ending = row.Ending is not null;
        var transferring = row.Transfer is TransferStates.Requested or TransferStates.Saying or TransferStates.HandoffSaid or TransferStates.Sent or TransferStates.Accepted;
        if ((ending && !_ended) || (transferring && !_transferring))
        {
            await InterruptAsync().ConfigureAwait(false);
        }

        _ended |= ending;
        _transferring = transferring;
    }

    /// <summary>The session is over: what was reserved and never used goes back; a response that never reported is settled as reserved.</summary>
    private void End()
    {
        if (_reply is { } reply)
        {
            _reply = null;
            Cut(reply, Math.Floor(reply.Played.HeardMilliseconds(Time.GetUtcNow())));
        }

        foreach (var requested in _requested.Concat(_responses.Values).ToList())
        {
            Store(() => meter.SettleInFullAsync(requested.Reservation));
        }

        if (_next is { } next)
        {
            Store(async () =>
            {
                if (await next.ConfigureAwait(false) is { Reservation: { } unused })
                {
                    await meter.ReleaseAsync(unused).ConfigureAwait(false);
                }
            });
        }

        if (_modelEnded && !_closed)
        {
            // The model went away with the caller still on the line: nobody is left to talk.
            Logger.LogWarning("Call {CallId}: the realtime session ended; hanging up", call.RowKey);
            Store(async () =>
            {
                if (await services.Calls.FindAsync(org, call.RowKey, CancellationToken.None).ConfigureAwait(false) is { } row && !CallStates.IsTerminal(row.State))
                {
                    await services.Media.HangUpAsync(row, CancellationToken.None).ConfigureAwait(false);
                }
            });
        }
    }

    private Task<HeldReservation> ReserveAsync() => Task.Run(() => meter.ReserveAsync(CancellationToken.None));

    private void WriteCallerLine(int turn, string text, string via)
    {
        var line = new CallTranscriptEntity
        {
            RowKey = CallTranscriptEntity.Key(call.RowKey, turn, TranscriptRoles.Caller), CallId = call.RowKey, Turn = turn, Role = TranscriptRoles.Caller,
            Text = CardNumbers.Mask(text), Via = via, At = Time.GetUtcNow(),
        };
        Store(() => services.Transcripts.WriteOnceAsync(org, line, CancellationToken.None));
    }

    private void WriteAgentLine(Reply reply, string text, int? cutAfterMs)
    {
        var line = new CallTranscriptEntity
        {
            RowKey = CallTranscriptEntity.Key(call.RowKey, reply.Turn, TranscriptRoles.Agent), CallId = call.RowKey, Turn = reply.Turn, Role = TranscriptRoles.Agent,
            Text = text, Tools = reply.Called.Count == 0 ? null : string.Join(',', reply.Called.Distinct(StringComparer.Ordinal)), At = Time.GetUtcNow(),
            CutAfterMs = cutAfterMs, Spoken = cutAfterMs is null || text.Length > 0,
        };
        Store(() => services.Transcripts.WriteOnceAsync(org, line, CancellationToken.None));
    }

    /// <summary>The turn's record (ids and counts, as for turn-based calls), once its reply is over.</summary>
    private void FinishRecord(Reply reply, string state, string? reason)
    {
        if (reply.Greeting)
        {
            return;
        }

        Store(async () =>
        {
            if (reply.Record is { } record)
            {
                (record.AgentId, record.InputTokens, record.OutputTokens, record.CostMicroUsd) = (agent.RowKey, reply.InputTokens, reply.OutputTokens, reply.CostMicroUsd);
                await services.Turns.FinishAsync(org, record, state, reason, CancellationToken.None).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Decides on the call's row (in order, after what was stored before) and hands the loop the row as decided.</summary>
    private void Decide(VoiceEvent voiceEvent) =>
        Store(async () =>
        {
            if (await services.Voice.DecideAsync(org, call.RowKey, voiceEvent, CancellationToken.None).ConfigureAwait(false) is { } row)
            {
                _inputs.Writer.TryWrite(new RowRead(row));
            }
        });

    private void Store(Func<Task> work) => _storage.Writer.TryWrite(work);

    private async Task StoreAsync()
    {
        await foreach (var work in _storage.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Logger.LogError(e, "Call {CallId}: storing the conversation failed", call.RowKey);
            }
        }
    }

    /// <summary>ACS's messages: audio to the model's queue, keys to the loop; the loop ends when the socket does.</summary>
    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                switch (await socket.ReceiveAsync(cancellationToken).ConfigureAwait(false))
                {
                    case MediaFrame.Audio audio:
                        stats.FrameIn();
                        socket.Inbound.Writer.TryWrite(audio.Pcm);
                        break;
                    case MediaFrame.Dtmf dtmf:
                        _inputs.Writer.TryWrite(new Keyed(dtmf.Tone));
                        break;
                    case null when stats.InvalidMessages > 100:
                        await socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData, "too many invalid messages", CancellationToken.None).ConfigureAwait(false);
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

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        await foreach (var pcm in socket.Inbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
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
            Logger.LogWarning(e, "Call {CallId}: the realtime session failed", call.RowKey);
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
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(services.Options.CallRowPollMilliseconds), Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (await services.Calls.FindAsync(org, call.RowKey, cancellationToken).ConfigureAwait(false) is { } row)
                {
                    _inputs.Writer.TryWrite(new RowRead(row));
                }
            }
            catch (Azure.RequestFailedException e)
            {
                Logger.LogWarning("Call {CallId}: reading its row failed ({Status})", call.RowKey, e.Status);
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

    /// <summary>The first part of <paramref name="text"/> spoken in <paramref name="heardMs"/> of <paramref name="totalMs"/>, to a word's end.</summary>
    internal static string HeardPart(string text, double heardMs, double totalMs)
    {
        if (heardMs <= 0 || text.Length == 0 || totalMs <= 0)
        {
            return string.Empty;
        }

        if (heardMs >= totalMs)
        {
            return text;
        }

        var chars = (int)(text.Length * heardMs / totalMs);
        if (chars < text.Length && !char.IsWhiteSpace(text[chars]) && text.LastIndexOf(' ', Math.Max(0, chars - 1)) is > 0 and var space)
        {
            chars = space;
        }

        return text[..chars].TrimEnd();
    }

    private static Dictionary<string, object?> Arguments(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string Text(object? result) => result switch
    {
        null => string.Empty,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        _ => JsonSerializer.Serialize(result),
    };

    private sealed record Requested(Reply Reply, UsageReservation Reservation);

    private sealed record Keyed(char Tone);

    private sealed record Reserved;

    private sealed record ToolAnswered(Reply Reply, string ToolCallId, string Output);

    private sealed record PlayedOut(int ReplyId);

    private sealed record RowRead(CallEntity Call);

    private sealed record Tick;

    private sealed record Closed;

    /// <summary>The agent's reply to one turn (the greeting is turn 0): possibly several responses around tool calls.</summary>
    private sealed class Reply(int id, int turn, bool Greeting)
    {
        public int Id { get; } = id;
        public int Turn { get; } = turn;
        public bool Greeting { get; } = Greeting;
        public VoiceTools Tools { get; } = new();
        public List<string> Called { get; } = [];
        public StringBuilder Text { get; } = new();
        public Timeline Played { get; } = new();
        public string? ItemId { get; set; }
        public long Bytes { get; set; }
        public bool Responding { get; set; }
        public bool WantsResponse { get; set; }
        public int ToolsPending { get; set; }
        public bool Settled { get; set; }
        public bool Done { get; set; }
        public AgentTurnEntity? Record { get; set; }
        public long InputTokens { get; private set; }
        public long OutputTokens { get; private set; }
        public long CostMicroUsd { get; private set; }

        public void Usage(RealtimeUsage usage, long cost) =>
            (InputTokens, OutputTokens, CostMicroUsd) = (InputTokens + usage.InputTokens, OutputTokens + usage.OutputTokens, CostMicroUsd + cost);
    }

    /// <summary>Where a reply's audio sits on the call's playback timeline: ACS plays what it gets in real time, in order.</summary>
    private sealed class Timeline
    {
        private readonly List<(DateTimeOffset Start, TimeSpan Length)> _segments = [];

        public void Add(DateTimeOffset start, TimeSpan length)
        {
            if (_segments.Count > 0 && _segments[^1] is var last && last.Start + last.Length == start)
            {
                _segments[^1] = (last.Start, last.Length + length);
            }
            else
            {
                _segments.Add((start, length));
            }
        }

        /// <summary>How much of it the caller has heard by <paramref name="now"/>.</summary>
        public double HeardMilliseconds(DateTimeOffset now) =>
            _segments.Sum(s => Math.Clamp((now - s.Start).TotalMilliseconds, 0, s.Length.TotalMilliseconds));
    }
}
