using Hiroi.Shared.Agents;
using Microsoft.Extensions.AI;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>A speech-to-speech model that talks with one caller at a time: Azure OpenAI's realtime model, or the local one.</summary>
public interface IRealtimeVoice
{
    Task<IRealtimeVoiceSession> OpenAsync(RealtimeSetup setup, CancellationToken cancellationToken);
}

/// <summary>
/// What a realtime session is told when it opens: the agent's instructions and tools (declarations only: the bridge
/// runs them, secrets resolved server-side), the deployment, and the call it serves.
/// </summary>
/// <param name="CallConnectionId">ACS's id of the call (the local model reads the simulator's side channel by it).</param>
public sealed record RealtimeSetup(
    string CallId, string? CallConnectionId, string Deployment, string Instructions, IReadOnlyList<AIFunctionDeclaration> Tools, AgentVoice Voice);

/// <summary>
/// One call's conversation with the model. Audio goes in frame by frame; the model detects the caller's speech itself
/// (server VAD) but never answers on its own: the bridge asks for each response (<see cref="RespondAsync"/>) once its
/// cost is reserved. Events come out of <see cref="EventsAsync"/>, to be read by one reader.
/// </summary>
public interface IRealtimeVoiceSession : IAsyncDisposable
{
    /// <summary>One frame of the caller's audio (24 kHz 16-bit mono PCM).</summary>
    ValueTask SendAudioAsync(ReadOnlyMemory<byte> pcm, CancellationToken cancellationToken);

    /// <summary>A response that speaks <paramref name="text"/> as it is (the greeting), kept in the conversation as the agent's.</summary>
    Task SayAsync(string text, CancellationToken cancellationToken);

    /// <summary>A response to the conversation so far (the caller's last utterance, or a tool's answer).</summary>
    Task RespondAsync(CancellationToken cancellationToken);

    /// <summary>Stops the response in progress (it ends with <see cref="RealtimeEvent.ResponseDone"/>, cancelled).</summary>
    Task CancelResponseAsync(CancellationToken cancellationToken);

    /// <summary>Cuts the agent's item to what the caller heard of it, so the model remembers only that.</summary>
    Task TruncateAsync(string itemId, TimeSpan heard, CancellationToken cancellationToken);

    /// <summary>A tool's answer to the model's call <paramref name="toolCallId"/>.</summary>
    Task AddToolResultAsync(string toolCallId, string output, CancellationToken cancellationToken);

    /// <summary>Something the caller keyed, as text (card numbers already masked).</summary>
    Task AddCallerTextAsync(string text, CancellationToken cancellationToken);

    IAsyncEnumerable<RealtimeEvent> EventsAsync(CancellationToken cancellationToken);
}

/// <summary>What a realtime model reports.</summary>
public abstract record RealtimeEvent
{
    private RealtimeEvent()
    {
    }

    /// <summary>The caller started speaking (the agent, if talking, is being interrupted).</summary>
    public sealed record SpeechStarted : RealtimeEvent;

    /// <summary>A response the bridge asked for has started; responses start in the order they were asked for.</summary>
    public sealed record ResponseStarted(string ResponseId) : RealtimeEvent;

    /// <summary>The caller finished an utterance; its words follow in <see cref="CallerTranscript"/> (same item), now or later.</summary>
    public sealed record SpeechEnded(string ItemId) : RealtimeEvent;

    public sealed record CallerTranscript(string ItemId, string Text) : RealtimeEvent;

    /// <summary>Part of the agent's spoken reply: audio of item <paramref name="ItemId"/>.</summary>
    public sealed record AgentAudio(string ResponseId, string ItemId, ReadOnlyMemory<byte> Pcm) : RealtimeEvent;

    /// <summary>Words of the agent's reply, in order, as they are generated.</summary>
    public sealed record AgentText(string ResponseId, string ItemId, string Delta) : RealtimeEvent;

    /// <summary>The model calls a tool; the response ends, and the tool's answer starts the next one.</summary>
    public sealed record ToolCall(string ResponseId, string ToolCallId, string Name, string Arguments) : RealtimeEvent;

    /// <summary>A response ended (completed, or cancelled when the caller cut in) and what it used.</summary>
    public sealed record ResponseDone(string ResponseId, bool Cancelled, RealtimeUsage Usage) : RealtimeEvent;

    /// <summary>The model reported an error; the session goes on unless it ends.</summary>
    public sealed record Failed(string Code) : RealtimeEvent;
}

/// <summary>What a realtime response used, by kind of token (each priced on its own).</summary>
public sealed record RealtimeUsage(long InputTextTokens, long InputAudioTokens, long CachedInputTokens, long OutputTextTokens, long OutputAudioTokens)
{
    public static readonly RealtimeUsage None = new(0, 0, 0, 0, 0);

    public long InputTokens => InputTextTokens + InputAudioTokens + CachedInputTokens;

    public long OutputTokens => OutputTextTokens + OutputAudioTokens;
}
