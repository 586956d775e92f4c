using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Hiroi.Shared.Agents;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>
/// A deterministic realtime model for <c>./run</c>, tests and the load run, so a streamed call runs end to end with no AI
/// service. It hears speech by frame energy (RMS above <see cref="RealtimeVoiceOptions.LocalSpeechLevel"/>), takes the
/// words from the simulator's side channel (<see cref="LocalSpeechChannel"/>), and answers as the local chat model does
/// (<see cref="LocalChatClient"/>: it quotes the caller, and <c>#tool NAME {json}</c> calls a tool), speaking a tone whose
/// length follows the reply's text. Tokens: text as the chat model counts it, audio in one per 100 ms, out one per 50 ms.
/// Each session keeps a journal of what it was asked (responses, cancellations, truncations), for tests.
/// </summary>
public sealed class LocalRealtimeVoice(LocalSpeechChannel speech, IOptions<RealtimeVoiceOptions> options, TimeProvider time) : IRealtimeVoice
{
    private const int MaxJournals = 256;

    private readonly ConcurrentDictionary<string, Journal> _journals = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public Task<IRealtimeVoiceSession> OpenAsync(RealtimeSetup setup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var journal = new Journal();
        _journals[setup.CallId] = journal;
        _order.Enqueue(setup.CallId);
        while (_order.Count > MaxJournals && _order.TryDequeue(out var old))
        {
            _journals.TryRemove(old, out _);
        }

        return Task.FromResult<IRealtimeVoiceSession>(new Session(setup, speech, options.Value, time, journal));
    }

    /// <summary>What the call's session was asked so far, in order (<c>respond</c>, <c>say</c>, <c>cancel</c>, <c>truncate item ms</c>, <c>tool-result</c>).</summary>
    public IReadOnlyList<string> JournalOf(string callId) => _journals.TryGetValue(callId, out var journal) ? journal.Entries : [];

    private sealed class Journal
    {
        private readonly List<string> _entries = [];

        public IReadOnlyList<string> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public void Add(string entry)
        {
            lock (_entries)
            {
                if (_entries.Count < 1000)
                {
                    _entries.Add(entry);
                }
            }
        }
    }

    private sealed class Session : IRealtimeVoiceSession
    {
        private const int ChunkMilliseconds = 100;

        // 440 Hz fills 100 ms at 24 kHz with whole cycles, so chunks join without clicks.
        private static readonly ReadOnlyMemory<byte> Tone = MakeTone();

        private readonly RealtimeSetup _setup;
        private readonly LocalSpeechChannel _speech;
        private readonly RealtimeVoiceOptions _options;
        private readonly TimeProvider _time;
        private readonly Journal _journal;
        private readonly LocalChatClient _model = new();
        private readonly Channel<RealtimeEvent> _events = Channel.CreateBounded<RealtimeEvent>(new BoundedChannelOptions(1024) { SingleReader = true });
        private readonly List<ChatMessage> _history = [];
        private readonly Dictionary<string, int> _agentItems = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource _closed = new();

        private bool _speaking;
        private int _voiced;
        private int _silent;
        private LocalUtterance? _announced;
        private long _inputAudioTokens;
        private int _items;
        private readonly List<CancellationTokenSource> _responses = [];
        private readonly HashSet<string> _done = new(StringComparer.Ordinal);
        private CancellationTokenSource? _response;
        private Task _generating = Task.CompletedTask;

        public Session(RealtimeSetup setup, LocalSpeechChannel speech, RealtimeVoiceOptions options, TimeProvider time, Journal journal)
        {
            (_setup, _speech, _options, _time, _journal) = (setup, speech, options, time, journal);
            _history.Add(new ChatMessage(ChatRole.System, setup.Instructions));
        }

        public async ValueTask SendAudioAsync(ReadOnlyMemory<byte> pcm, CancellationToken cancellationToken)
        {
            var voiced = Level(pcm.Span) >= _options.LocalSpeechLevel;
            if (voiced)
            {
                _silent = 0;
                if (!_speaking)
                {
                    (_speaking, _voiced) = (true, 0);
                    _speech.TryTake(_setup.CallConnectionId, out _announced);
                    await _events.Writer.WriteAsync(new RealtimeEvent.SpeechStarted(), cancellationToken).ConfigureAwait(false);
                }

                _voiced++;
                if (_announced is { } announced && _voiced >= announced.VoicedFrames)
                {
                    await EndUtteranceAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            else if (_speaking && ++_silent >= _options.LocalEndSilenceFrames)
            {
                await EndUtteranceAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public Task SayAsync(string text, CancellationToken cancellationToken)
        {
            _journal.Add("say");
            return StartAsync(async (id, ct) =>
            {
                await SpeakAsync(id, text, Tokens(_setup.Instructions) + Tokens(text), ct).ConfigureAwait(false);
            });
        }

        public Task RespondAsync(CancellationToken cancellationToken)
        {
            _journal.Add("respond");
            return StartAsync(async (id, ct) =>
            {
                List<ChatMessage> history;
                lock (_history)
                {
                    history = [.. _history];
                }

                var response = await _model.GetResponseAsync(history, new ChatOptions { Tools = [.. _setup.Tools], MaxOutputTokens = _options.MaxOutputTokens }, ct)
                    .ConfigureAwait(false);
                var input = response.Usage?.InputTokenCount ?? 0;
                if (response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().FirstOrDefault() is { } call)
                {
                    lock (_history)
                    {
                        _history.Add(new ChatMessage(ChatRole.Assistant, [call]));
                    }

                    var arguments = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>());
                    var usage = new RealtimeUsage(input, Interlocked.Exchange(ref _inputAudioTokens, 0), 0, Tokens(call.Name + arguments), 0);
                    await _events.Writer.WriteAsync(new RealtimeEvent.ToolCall(id, call.CallId, call.Name, arguments), ct).ConfigureAwait(false);
                    Done(id, cancelled: false, usage);
                    return;
                }

                await SpeakAsync(id, response.Text, input, ct).ConfigureAwait(false);
            });
        }

        public Task CancelResponseAsync(CancellationToken cancellationToken)
        {
            _journal.Add("cancel");
            _response?.Cancel();
            return Task.CompletedTask;
        }

        public Task TruncateAsync(string itemId, TimeSpan heard, CancellationToken cancellationToken)
        {
            var ms = (int)heard.TotalMilliseconds;
            _journal.Add(string.Create(CultureInfo.InvariantCulture, $"truncate {itemId} {ms}"));
            lock (_history)
            {
                if (_agentItems.TryGetValue(itemId, out var index) && _history[index].Text is { } said)
                {
                    var kept = (int)Math.Clamp((long)ms / _options.LocalMillisecondsPerCharacter, 0, said.Length);
                    _history[index] = new ChatMessage(ChatRole.Assistant, said[..kept]);
                }
            }

            return Task.CompletedTask;
        }

        public Task AddToolResultAsync(string toolCallId, string output, CancellationToken cancellationToken)
        {
            _journal.Add("tool-result");
            lock (_history)
            {
                _history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(toolCallId, output)]));
            }

            return Task.CompletedTask;
        }

        public Task AddCallerTextAsync(string text, CancellationToken cancellationToken)
        {
            lock (_history)
            {
                _history.Add(new ChatMessage(ChatRole.User, text));
            }

            return Task.CompletedTask;
        }

        public async IAsyncEnumerable<RealtimeEvent> EventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var update in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _closed.CancelAsync().ConfigureAwait(false);
            _response?.Cancel();
            try
            {
                await _generating.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped with the session.
            }

            _events.Writer.TryComplete();
            foreach (var response in _responses)
            {
                response.Dispose();
            }

            _closed.Dispose();
            _model.Dispose();
        }

        /// <summary>The caller stopped: their words first (so a bridge knows them when the turn ends), then the end.</summary>
        private async Task EndUtteranceAsync(CancellationToken cancellationToken)
        {
            var item = "item_caller_" + Interlocked.Increment(ref _items).ToString(CultureInfo.InvariantCulture);
            var text = _announced?.Text ?? string.Empty;
            Interlocked.Add(ref _inputAudioTokens, (_voiced + 4) / 5);
            (_speaking, _announced, _silent) = (false, null, 0);
            lock (_history)
            {
                _history.Add(new ChatMessage(ChatRole.User, text));
            }

            await _events.Writer.WriteAsync(new RealtimeEvent.CallerTranscript(item, text), cancellationToken).ConfigureAwait(false);
            await _events.Writer.WriteAsync(new RealtimeEvent.SpeechEnded(item), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>One response at a time, as the service runs them: a new one waits for the previous one's end.</summary>
        private Task StartAsync(Func<string, CancellationToken, Task> respond)
        {
            var previous = _generating;
            _response = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
            _responses.Add(_response);
            var token = _response.Token;
            var id = "resp_local_" + Interlocked.Increment(ref _items).ToString(CultureInfo.InvariantCulture);
            _generating = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);
                try
                {
                    await _events.Writer.WriteAsync(new RealtimeEvent.ResponseStarted(id), _closed.Token).ConfigureAwait(false);
                    await respond(id, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested && !_closed.IsCancellationRequested)
                {
                    // Cancelled by the bridge before it spoke: it still hears the response end.
                    Done(id, cancelled: true, RealtimeUsage.None);
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        }

        /// <summary>Says <paramref name="text"/> as a tone of its length, in 100 ms chunks, then reports the response done.</summary>
        private async Task SpeakAsync(string id, string text, long inputTextTokens, CancellationToken cancellationToken)
        {
            var maxMs = (long)_options.MaxOutputTokens * 50;
            var totalMs = Math.Min((long)text.Length * _options.LocalMillisecondsPerCharacter, maxMs);
            text = text[..(int)Math.Min(text.Length, totalMs / _options.LocalMillisecondsPerCharacter)];
            var item = "item_agent_" + Interlocked.Increment(ref _items).ToString(CultureInfo.InvariantCulture);
            lock (_history)
            {
                _agentItems[item] = _history.Count;
                _history.Add(new ChatMessage(ChatRole.Assistant, text));
            }

            var inputAudio = Interlocked.Exchange(ref _inputAudioTokens, 0);
            long spokenMs = 0;
            try
            {
                await _events.Writer.WriteAsync(new RealtimeEvent.AgentText(id, item, text), cancellationToken).ConfigureAwait(false);
                while (spokenMs < totalMs)
                {
                    var chunk = (int)Math.Min(ChunkMilliseconds, totalMs - spokenMs);
                    await _events.Writer.WriteAsync(new RealtimeEvent.AgentAudio(id, item, Tone[..(chunk * 48)]), cancellationToken).ConfigureAwait(false);
                    spokenMs += chunk;
                    if (_options.LocalGenerationSpeed > 0 && spokenMs < totalMs)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(chunk / _options.LocalGenerationSpeed), _time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                Done(id, cancelled: spokenMs < totalMs, new RealtimeUsage(inputTextTokens, inputAudio, 0, Tokens(text), (spokenMs + 49) / 50));
            }
        }

        /// <summary>Reports a response's end once, however it ended.</summary>
        private void Done(string id, bool cancelled, RealtimeUsage usage)
        {
            lock (_done)
            {
                if (!_done.Add(id))
                {
                    return;
                }
            }

            _events.Writer.TryWrite(new RealtimeEvent.ResponseDone(id, cancelled, usage));
        }

        private static long Tokens(string text) => (text.Length + 3L) / 4;

        /// <summary>Root mean square of 16-bit little-endian samples.</summary>
        private static double Level(ReadOnlySpan<byte> pcm)
        {
            if (pcm.Length < 2)
            {
                return 0;
            }

            double sum = 0;
            for (var i = 0; i + 1 < pcm.Length; i += 2)
            {
                double sample = (short)(pcm[i] | (pcm[i + 1] << 8));
                sum += sample * sample;
            }

            return Math.Sqrt(sum / (pcm.Length / 2));
        }

        private static byte[] MakeTone()
        {
            var samples = MediaFrames.SampleRate / 1000 * ChunkMilliseconds;
            var tone = new byte[samples * 2];
            for (var i = 0; i < samples; i++)
            {
                var sample = (short)(6000 * Math.Sin(2 * Math.PI * 440 * i / MediaFrames.SampleRate));
                tone[2 * i] = (byte)sample;
                tone[(2 * i) + 1] = (byte)(sample >> 8);
            }

            return tone;
        }
    }
}
