using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>
/// Section <c>Hiroi:Voice:Realtime</c>: agents whose <c>voice.mode</c> is <c>realtime</c>. ACS streams their calls' audio
/// to the self-host's <c>/api/calls/media</c> WebSocket, which bridges it to a speech-to-speech model
/// (<see cref="IRealtimeVoice"/>: Azure OpenAI's realtime model, or the local model with <c>Hiroi:Ai:Provider</c> Local).
/// Where ACS connects is <see cref="VoiceOptions.RealtimeBaseUrl"/>.
/// </summary>
public sealed class RealtimeVoiceOptions
{
    public const string Section = "Hiroi:Voice:Realtime";

    /// <summary>
    /// The realtime model deployment (e.g. <c>gpt-realtime</c>), priced in <c>Hiroi:Ai:Models</c> with its audio token
    /// prices; empty uses the agent's own model (which only the local model can be).
    /// </summary>
    [MaxLength(64)]
    public string? Deployment { get; set; }

    /// <summary>The model's voice (alloy, ash, ballad, coral, echo, sage, shimmer, verse, marin, cedar).</summary>
    [MaxLength(20)]
    public string ModelVoice { get; set; } = "alloy";

    /// <summary>The model that transcribes the caller for the transcript (the realtime model itself hears the audio).</summary>
    [MaxLength(64)]
    public string TranscriptionModel { get; set; } = "whisper-1";

    /// <summary>Server VAD: how long the caller must pause for their turn to end.</summary>
    [Range(200, 3000)]
    public int EndOfSpeechSilenceMilliseconds { get; set; } = 500;

    /// <summary>Server VAD's speech threshold (0 to 1); higher ignores more background noise.</summary>
    [Range(0.0, 1.0)]
    public double SpeechThreshold { get; set; } = 0.5;

    /// <summary>Most output tokens one response may produce (audio is about 20 tokens a second), reserved before it runs.</summary>
    [Range(64, 8192)]
    public int MaxOutputTokens { get; set; } = 1200;

    /// <summary>
    /// Tokens a response reserves, beyond what the conversation used so far, for the caller's latest utterance (audio
    /// in is about 10 tokens a second); a longer utterance is settled at its real use.
    /// </summary>
    [Range(0, 100_000)]
    public int UtteranceAllowanceTokens { get; set; } = 600;

    /// <summary>How long after the call is answered ACS may open its media socket (the token in the transport URL).</summary>
    [Range(1, 120)]
    public int MediaTokenMinutes { get; set; } = 10;

    /// <summary>How long a media socket may take to send its first frame (AudioMetadata) before it is closed.</summary>
    [Range(1, 120)]
    public int MetadataTimeoutSeconds { get; set; } = 10;

    /// <summary>Caller frames waiting for a slow model (20 ms each); past it the oldest are dropped, and counted.</summary>
    [Range(5, 3000)]
    public int InboundQueueFrames { get; set; } = 50;

    /// <summary>Agent frames waiting for a slow socket (20 ms, 960 bytes each); past it new frames are dropped, and counted.</summary>
    [Range(10, 30_000)]
    public int OutboundQueueFrames { get; set; } = 3000;

    /// <summary>Largest WebSocket message accepted from ACS (a 20 ms frame is under 2 KB).</summary>
    [Range(1024, 1_048_576)]
    public int MaxMessageBytes { get; set; } = 65_536;

    /// <summary>How often a call's row is read for what other instances decided (a goodbye at the deadline, a transfer's outcome).</summary>
    [Range(100, 60_000)]
    public int CallRowPollMilliseconds { get; set; } = 1000;

    /// <summary>The local model: how long its synthetic voice takes per character of a reply.</summary>
    [Range(1, 10_000)]
    public int LocalMillisecondsPerCharacter { get; set; } = 60;

    /// <summary>
    /// The local model: how much faster than real time it produces its voice (a real model streams ahead of playback,
    /// not all at once); 0 produces it at once.
    /// </summary>
    [Range(0, 1000)]
    public double LocalGenerationSpeed { get; set; } = 4;

    /// <summary>The local model: the RMS level (16-bit samples) above which a frame is speech.</summary>
    [Range(1, 32_767)]
    public int LocalSpeechLevel { get; set; } = 500;

    /// <summary>The local model: silent frames that end an utterance the side channel did not announce.</summary>
    [Range(1, 500)]
    public int LocalEndSilenceFrames { get; set; } = 25;
}
