using System.ClientModel;
using System.Runtime.CompilerServices;
using Azure.Core;
using Azure.Identity;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.Options;
using OpenAI.Realtime;

namespace Hiroi.Shared.Voice.Realtime;

// The OpenAI library marks its realtime client for evaluation (OPENAI002) and the Endpoint option with it (OPENAI001):
// both are the GA realtime protocol this class speaks, and nothing outside this file touches them.
#pragma warning disable OPENAI001, OPENAI002

/// <summary>
/// Azure OpenAI's realtime model through the OpenAI library's realtime client, on the resource's v1 endpoint
/// (<c>wss://…/openai/v1/realtime?model={deployment}</c>) signed in with the app's Entra identity: a fresh token per
/// session, as the WebSocket handshake carries it (no key anywhere). The session is told the agent's instructions and
/// tools, 24 kHz PCM both ways, input transcription, and server VAD that detects the caller's turns but never answers
/// on its own: the bridge asks for each response once its cost is reserved.
/// </summary>
public sealed class AzureRealtimeVoice : IRealtimeVoice
{
    private const string CognitiveServicesScope = "https://cognitiveservices.azure.com/.default";

    private readonly IOptions<AiOptions> _ai;
    private readonly IOptions<RealtimeVoiceOptions> _options;
    private readonly TokenCredential _credential;

    public AzureRealtimeVoice(IOptions<AiOptions> ai, IOptions<RealtimeVoiceOptions> options)
        : this(ai, options, new DefaultAzureCredential())
    {
    }

    /// <summary>With another credential than the app's identity (tests: Entra cannot run here).</summary>
    internal AzureRealtimeVoice(IOptions<AiOptions> ai, IOptions<RealtimeVoiceOptions> options, TokenCredential credential) =>
        (_ai, _options, _credential) = (ai, options, credential);

    public async Task<IRealtimeVoiceSession> OpenAsync(RealtimeSetup setup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var endpoint = _ai.Value.Endpoint ?? throw new SettingException(AiOptions.Section + ":Endpoint", "is required for Azure OpenAI");
        var token = await _credential.GetTokenAsync(new TokenRequestContext([CognitiveServicesScope]), cancellationToken).ConfigureAwait(false);
        var client = new RealtimeClient(new ApiKeyCredential(token.Token), new RealtimeClientOptions { Endpoint = new Uri(endpoint, "openai/v1") });
        var session = await client.StartConversationSessionAsync(setup.Deployment, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await session.ConfigureConversationSessionAsync(Configuration(setup, _options.Value), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        return new Session(session);
    }

    internal static RealtimeConversationSessionOptions Configuration(RealtimeSetup setup, RealtimeVoiceOptions options)
    {
        var format = new RealtimePcmAudioFormat { Rate = MediaFrames.SampleRate };
        var configuration = new RealtimeConversationSessionOptions
        {
            Instructions = setup.Instructions,
            ToolChoice = new RealtimeToolChoice(RealtimeDefaultToolChoice.Auto),
            MaxOutputTokenCount = options.MaxOutputTokens,
            AudioOptions = new RealtimeConversationSessionAudioOptions
            {
                InputAudioOptions = new RealtimeConversationSessionInputAudioOptions
                {
                    AudioFormat = format,
                    AudioTranscriptionOptions = new RealtimeAudioTranscriptionOptions { Model = options.TranscriptionModel },
                    TurnDetection = new RealtimeServerVadTurnDetection
                    {
                        DetectionThreshold = (float)options.SpeechThreshold,
                        PrefixPadding = TimeSpan.FromMilliseconds(300),
                        SilenceDuration = TimeSpan.FromMilliseconds(options.EndOfSpeechSilenceMilliseconds),
                        // The bridge reserves each response's cost first, then asks for it; it also cancels on barge-in itself.
                        CreateResponseEnabled = false,
                        InterruptResponseEnabled = false,
                    },
                },
                OutputAudioOptions = new RealtimeConversationSessionOutputAudioOptions { AudioFormat = format, Voice = new RealtimeVoice(options.ModelVoice) },
            },
        };
        configuration.OutputModalities.Add(RealtimeOutputModality.Audio);
        foreach (var tool in setup.Tools)
        {
            configuration.Tools.Add(new RealtimeFunctionTool(tool.Name)
            {
                FunctionDescription = tool.Description,
                FunctionParameters = BinaryData.FromString(tool is Microsoft.Extensions.AI.AIFunction function ? function.JsonSchema.GetRawText() : "{\"type\":\"object\"}"),
            });
        }

        return configuration;
    }

    /// <summary>The library's session as an <see cref="IRealtimeVoiceSession"/>: commands one to one, its updates as <see cref="RealtimeEvent"/>s.</summary>
    private sealed class Session(RealtimeSessionClient session) : IRealtimeVoiceSession
    {
        public async ValueTask SendAudioAsync(ReadOnlyMemory<byte> pcm, CancellationToken cancellationToken) =>
            await session.SendInputAudioAsync(BinaryData.FromBytes(pcm), cancellationToken).ConfigureAwait(false);

        public Task SayAsync(string text, CancellationToken cancellationToken) =>
            session.StartResponseAsync(new RealtimeResponseOptions { Instructions = "Say exactly the following, and nothing else: " + text }, cancellationToken);

        public Task RespondAsync(CancellationToken cancellationToken) => session.StartResponseAsync(cancellationToken);

        public Task CancelResponseAsync(CancellationToken cancellationToken) => session.CancelResponseAsync(cancellationToken);

        public Task TruncateAsync(string itemId, TimeSpan heard, CancellationToken cancellationToken) =>
            session.TruncateItemAsync(itemId, 0, heard, cancellationToken);

        public Task AddToolResultAsync(string toolCallId, string output, CancellationToken cancellationToken) =>
            session.AddItemAsync(RealtimeItem.CreateFunctionCallOutputItem(toolCallId, output), cancellationToken);

        public Task AddCallerTextAsync(string text, CancellationToken cancellationToken) =>
            session.AddItemAsync(RealtimeItem.CreateUserMessageItem(text), cancellationToken);

        public async IAsyncEnumerable<RealtimeEvent> EventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var update in session.ReceiveUpdatesAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Read(update) is { } read)
                {
                    yield return read;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            session.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The updates the bridge acts on; the rest (session, rate limits, item bookkeeping) are not its business.</summary>
    internal static RealtimeEvent? Read(RealtimeServerUpdate update) => update switch
    {
        RealtimeServerUpdateInputAudioBufferSpeechStarted => new RealtimeEvent.SpeechStarted(),
        RealtimeServerUpdateInputAudioBufferCommitted committed => new RealtimeEvent.SpeechEnded(committed.ItemId),
        RealtimeServerUpdateConversationItemInputAudioTranscriptionCompleted words => new RealtimeEvent.CallerTranscript(words.ItemId, words.Transcript ?? string.Empty),
        RealtimeServerUpdateResponseCreated created => new RealtimeEvent.ResponseStarted(created.Response.Id),
        RealtimeServerUpdateResponseOutputAudioDelta audio => new RealtimeEvent.AgentAudio(audio.ResponseId, audio.ItemId, audio.Delta.ToMemory()),
        RealtimeServerUpdateResponseOutputAudioTranscriptDelta text => new RealtimeEvent.AgentText(text.ResponseId, text.ItemId, text.Delta ?? string.Empty),
        RealtimeServerUpdateResponseFunctionCallArgumentsDone call =>
            new RealtimeEvent.ToolCall(call.ResponseId, call.CallId, call.FunctionName, call.FunctionArguments?.ToString() ?? "{}"),
        RealtimeServerUpdateResponseDone done =>
            new RealtimeEvent.ResponseDone(done.Response.Id, done.Response.Status == RealtimeResponseStatus.Cancelled, Usage(done.Response.Usage)),
        RealtimeServerUpdateError error => new RealtimeEvent.Failed(error.Error?.Code ?? "error"),
        _ => null,
    };

    private static RealtimeUsage Usage(RealtimeResponseUsage? usage)
    {
        if (usage is null)
        {
            return RealtimeUsage.None;
        }

        long cached = usage.InputTokenDetails?.CachedTokenCount ?? 0;
        long audioIn = usage.InputTokenDetails?.AudioTokenCount ?? 0;
        long textIn = usage.InputTokenDetails?.TextTokenCount ?? Math.Max(0, (usage.InputTokenCount ?? 0) - audioIn);
        long audioOut = usage.OutputTokenDetails?.AudioTokenCount ?? 0;
        long textOut = usage.OutputTokenDetails?.TextTokenCount ?? Math.Max(0, (usage.OutputTokenCount ?? 0) - audioOut);
        // Cached tokens are counted within text and audio input: they are charged once, at the cached price.
        var cachedText = Math.Min(cached, textIn);
        var cachedAudio = Math.Min(cached - cachedText, audioIn);
        return new RealtimeUsage(textIn - cachedText, audioIn - cachedAudio, cachedText + cachedAudio, textOut, audioOut);
    }
}
