using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>
/// One realtime call's conversation, bridging its media socket to a model session. All of its state is changed by one
/// loop, fed by the socket (keys), the model (speech, words, audio, tool calls, responses), timers and storage (see
/// RealtimeCall.Inputs.cs); audio goes from the socket straight to the model and from the model straight to the socket
/// (<see cref="AgentPlayback"/>), never through storage or the loop's waits, and what the call stores is done in order off
/// the audio path (<see cref="RealtimeCallRecords"/>). Barge-in: when the caller starts speaking while the agent talks,
/// ACS is told to stop (<c>StopAudio</c>), the model's response is cancelled and its item cut at what the caller heard,
/// and the transcript keeps what they heard. Each response is reserved against the caps before it is asked for: a
/// turn's reservation is taken as the caller starts speaking (or a tool is called), so the reply does not wait for it.
/// </summary>
internal sealed partial class RealtimeCall
{
    private const int MaxKeys = 32;
    private static readonly TimeSpan KeyTimeout = TimeSpan.FromSeconds(2);

    private readonly RealtimeCalls _services;
    private readonly OrgId _org;
    private readonly CallEntity _call;
    private readonly AgentEntity _agent;
    private readonly string _deployment;
    private readonly MediaSocket _socket;
    private readonly RealtimeMeter _meter;
    private readonly IReadOnlyList<AIFunction> _tenantTools;
    private readonly RealtimeCallStats _stats;
    private readonly string? _connectionId;
    private readonly AgentPlayback _playback;
    private readonly RealtimeCallRecords _records;
    private readonly Channel<object> _inputs = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<Requested> _requested = new();
    private readonly Dictionary<string, Requested> _responses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _callerItems = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _earlyWords = new(StringComparer.Ordinal);
    private readonly StringBuilder _keys = new();
    private readonly bool _canTransfer;
    private readonly bool _acceptsKeys;

    private IRealtimeVoiceSession _model = null!;
    private CancellationToken _stopping;
    private int _turn;
    private int _replies;
    private bool _ended;
    private bool _transferring;
    private bool _closed;
    private bool _modelEnded;
    private Reply? _reply;
    private Task<HeldReservation>? _next;
    private Task? _watched;
    private DateTimeOffset _lastKeyAt;
    private string? _greeting;

    public RealtimeCall(
        RealtimeCalls services, OrgId org, CallEntity call, AgentEntity agent, string deployment, MediaSocket socket, RealtimeMeter meter,
        IReadOnlyList<AIFunction> tenantTools, RealtimeCallStats stats, string? connectionId)
    {
        (_services, _org, _call, _agent, _deployment, _socket, _meter, _tenantTools, _stats, _connectionId) =
            (services, org, call, agent, deployment, socket, meter, tenantTools, stats, connectionId);
        _playback = new AgentPlayback(socket, stats, services.Time);
        _records = new RealtimeCallRecords(services, org, call, agent, meter, row => _inputs.Writer.TryWrite(new RowRead(row)));
        _turn = call.VoiceTurn;
        var voice = agent.Voice();
        (_canTransfer, _acceptsKeys) = (voice.TransferNumber is not null, voice.AcceptDtmf);
    }

    private TimeProvider Time => _services.Time;

    private ILogger Logger => _services.Logger;

    public async Task RunAsync(IRealtimeVoice model, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stopping = stop.Token;
        if (!await MetadataAsync(stop.Token).ConfigureAwait(false))
        {
            return;
        }

        var declarations = _tenantTools.Concat(new VoiceTools().For(_canTransfer)).Cast<AIFunctionDeclaration>().ToList();
        _model = await model.OpenAsync(new RealtimeSetup(_call.RowKey, _connectionId, _deployment, _agent.Instructions, declarations, _agent.Voice()), stop.Token)
            .ConfigureAwait(false);
        await using (_model.ConfigureAwait(false))
        {
            var storing = _records.RunAsync();
            var running = new[] { _socket.WriteAsync(stop.Token), ReadAsync(stop.Token), PumpAsync(stop.Token), ModelEventsAsync(stop.Token), PollAsync(stop.Token) };
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
                _records.Complete();
                await storing.ConfigureAwait(false);
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "call ended", CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The greeting, unless the call is past it (a socket opened again).</summary>
    private async Task StartAsync()
    {
        if (_call.VoiceTurn == 0 && _call.ListenTurn < 0 && _call.Ending is null)
        {
            _greeting = await _services.Lines.ForAsync(_org, _call, _agent, new MediaContext(0, MediaPurpose.Prompt), _stopping).ConfigureAwait(false);
            _reply = new Reply(++_replies, 0, greeting: true);
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
                _playback.Queue(reply.Played, audio.Pcm.Span);
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
                Logger.LogWarning("Call {CallId}: the realtime model reported {Code}", _call.RowKey, failed.Code);
                break;
        }
    }

    /// <summary>The agent is talking, or about to: a response runs, a tool is working, or its audio has not all played.</summary>
    private bool Speaking() => _reply is { } reply && (reply.Responding || reply.ToolsPending > 0 || _playback.Playing);

    /// <summary>The reply a response belongs to, if it is still the one being given.</summary>
    private Reply? Current(string responseId) =>
        _responses.TryGetValue(responseId, out var requested) && requested.Reply == _reply && !_ended && !_transferring ? _reply : null;

    /// <summary>The caller's words: to the transcript under their turn; an opt-out stops the agent there.</summary>
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

        _records.CallerLine(turn, text, "speech");
        if (turn == _turn && !_ended && CallerPhrases.IsOptOut(text))
        {
            await InterruptAsync().ConfigureAwait(false);
            _ended = true;
            _records.Decide(new VoiceEvent.OptOutHeard(turn));
        }
    }

    /// <summary>The caller finished an utterance (or keyed one): a new turn, and the agent's reply to it.</summary>
    private async Task CallerTurnAsync(string? itemId, string? text, string via)
    {
        if (_transferring && !_ended && await _services.Calls.FindAsync(_org, _call.RowKey, _stopping).ConfigureAwait(false) is { } row)
        {
            // A transfer was under way when last read: it may have failed since (the conversation goes on).
            await OnRowAsync(row).ConfigureAwait(false);
        }

        if (_ended || _transferring)
        {
            return;
        }

        if (_reply is { Done: true } heard && !_playback.Playing)
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
            _records.CallerLine(turn, text, via);
        }

        var reply = new Reply(++_replies, turn, greeting: false);
        _records.StartTurn(turn, reply.Record);
        var optOut = via == "speech" && CallerPhrases.IsOptOut(text);
        _records.Decide(new VoiceEvent.Heard(turn - 1, optOut));
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
        _records.Settle(requested.Reservation, done.Usage, newTurn: reply is { Greeting: false, Settled: false }, reply.Greeting ? null : reply.Record);
        reply.Settled = true;
        if (reply != _reply)
        {
            return;
        }

        reply.Responding = false;
        _playback.Flush(reply.Played);
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
            var function = _tenantTools.Concat(reply.Tools.For(_canTransfer)).FirstOrDefault(f => f.Name == tool.Name);
            output = function is null
                ? $"There is no tool called {tool.Name}."
                : Text(await function.InvokeAsync(new AIFunctionArguments(Arguments(tool.Arguments)), _stopping).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger.LogWarning(e, "Call {CallId}: tool {Tool} failed", _call.RowKey, tool.Name);
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

    /// <summary>Once the reply has played to its end, it is the caller's turn (or the call transfers or ends).</summary>
    private void PlayOut(Reply reply)
    {
        var wait = _playback.PlayingUntil - Time.GetUtcNow();
        _ = PostAfterAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, new PlayedOut(reply.Id));
    }

    private void OnPlayedOut(int replyId)
    {
        if (_reply is not { Done: true } reply || reply.Id != replyId)
        {
            return;
        }

        if (_playback.Playing)
        {
            PlayOut(reply);
            return;
        }

        _reply = null;
        if (!reply.Greeting)
        {
            _records.AgentLine(reply.Turn, reply.Text.ToString().Trim(), reply.Called, cutAfterMs: null);
            _records.FinishTurn(reply.Record, TurnStates.Replied, null);
        }

        _records.Decide(new VoiceEvent.ReplyReady(reply.Turn, reply.Tools.Kind));
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
        var heardMs = reply.Played.HeardMilliseconds(Time.GetUtcNow());
        _playback.Stop();
        if (reply.Responding)
        {
            await _model.CancelResponseAsync(_stopping).ConfigureAwait(false);
        }

        if (reply.ItemId is { } item && reply.Played.Bytes > 0)
        {
            await _model.TruncateAsync(item, TimeSpan.FromMilliseconds(heardMs), _stopping).ConfigureAwait(false);
        }

        Cut(reply, heardMs);
    }

    /// <summary>The transcript keeps the part of the reply the caller heard (the greeting's line is already there).</summary>
    private void Cut(Reply reply, double heardMs)
    {
        var heard = HeardPart(reply.Text.ToString().Trim(), heardMs, reply.Played.Milliseconds);
        if (reply.Greeting)
        {
            _records.GreetingCut(heard, (int)heardMs);
            return;
        }

        _records.AgentLine(reply.Turn, heard, reply.Called, (int)heardMs);
        _records.FinishTurn(reply.Record, TurnStates.Replied, null);
    }

    /// <summary>A cap refused the reply's next response: audited, and the call says the cap line and ends (<see cref="VoiceDecisions"/>).</summary>
    private void Refuse(Reply reply, string reason)
    {
        _reply = null;
        _ended = true;
        _records.Refused(reason);
        if (reply.Greeting)
        {
            // Its line was written as the call began; the caller never heard it.
            _records.GreetingUnheard();
        }
        else
        {
            _records.FinishTurn(reply.Record, TurnStates.Refused, reason);
        }

        _records.Decide(new VoiceEvent.ReplyReady(reply.Turn, ReplyKind.Refused));
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

    /// <summary>The session is over: a reply in progress keeps what was heard, what was reserved and never used goes back.</summary>
    private void End()
    {
        if (_reply is { } reply)
        {
            _reply = null;
            Cut(reply, reply.Played.HeardMilliseconds(Time.GetUtcNow()));
        }

        // A response that never reported may have run: it is settled as reserved.
        foreach (var requested in _requested.Concat(_responses.Values).ToList())
        {
            _records.SettleInFull(requested.Reservation);
        }

        if (_next is { } next)
        {
            _records.Release(next);
        }

        if (_modelEnded && !_closed)
        {
            Logger.LogWarning("Call {CallId}: the realtime session ended; hanging up", _call.RowKey);
            _records.HangUp();
        }
    }

    private Task<HeldReservation> ReserveAsync() => Task.Run(() => _meter.ReserveAsync(CancellationToken.None));

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
    private sealed class Reply(int id, int turn, bool greeting)
    {
        public int Id { get; } = id;
        public int Turn { get; } = turn;
        public bool Greeting { get; } = greeting;
        public VoiceTools Tools { get; } = new();
        public List<string> Called { get; } = [];
        public StringBuilder Text { get; } = new();
        public PlaybackTimeline Played { get; } = new();
        public TurnRecord Record { get; } = new();
        public string? ItemId { get; set; }
        public bool Responding { get; set; }
        public bool WantsResponse { get; set; }
        public int ToolsPending { get; set; }
        public bool Settled { get; set; }
        public bool Done { get; set; }
    }
}
