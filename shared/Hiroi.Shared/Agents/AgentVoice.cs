using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Hiroi.Shared.Agents;

/// <summary>How an agent sounds and listens on a phone call. Every field has a default, so an agent bound to a number answers calls as it is.</summary>
public sealed partial record AgentVoice
{
    public const string Turns = "turns";
    public const string Realtime = "realtime";

    public static readonly AgentVoice Default = new();

    /// <summary>The first line of an inbound call; empty means "Hello, this is {agent name}. How can I help you?".</summary>
    public string? Greeting { get; init; }

    /// <summary>An Azure AI Speech neural voice, e.g. <c>en-US-AvaMultilingualNeural</c>.</summary>
    public string VoiceName { get; init; } = "en-US-AvaMultilingualNeural";

    /// <summary>What the caller speaks and the prompts' locale (BCP 47, e.g. <c>en-US</c>).</summary>
    public string Locale { get; init; } = "en-US";

    /// <summary>How long the caller may pause before their utterance counts as finished.</summary>
    public int EndSilenceMs { get; init; } = 700;

    /// <summary>How long to wait for the caller to start speaking after a prompt before re-prompting.</summary>
    public int InitialSilenceSeconds { get; init; } = 8;

    /// <summary>Re-prompts after silence before the agent says goodbye and hangs up.</summary>
    public int Reprompts { get; init; } = 2;

    public int MaxCallMinutes { get; init; } = 10;

    /// <summary>Where <c>transfer_to_human</c> sends the caller (E.164); none means the tool is not offered.</summary>
    public string? TransferNumber { get; init; }

    /// <summary>Whether the caller may answer with the keypad as well as by voice.</summary>
    public bool AcceptDtmf { get; init; } = true;

    /// <summary><see cref="Turns"/> (recognize and speak over callbacks, both hosts) or <see cref="Realtime"/> (media streaming, the self-host).</summary>
    public string Mode { get; init; } = Turns;

    public string GreetingFor(string agentName) =>
        string.IsNullOrWhiteSpace(Greeting) ? $"Hello, this is {agentName}. How can I help you?" : Greeting;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The stored settings, or the defaults for an agent saved before voice existed.</summary>
    public static AgentVoice FromJson(string? json) =>
        string.IsNullOrEmpty(json) ? Default : JsonSerializer.Deserialize<AgentVoice>(json, Json) ?? Default;

    /// <summary>Checks settings from a request; each problem names its field under <c>voice.</c>.</summary>
    public IEnumerable<(string Field, string Message)> Problems()
    {
        if (Greeting is { Length: > 500 })
        {
            yield return ("voice.greeting", "at most 500 characters");
        }

        if (VoiceName is not { Length: <= 100 } || !VoiceNamePattern().IsMatch(VoiceName))
        {
            yield return ("voice.voiceName", "must be an Azure AI Speech voice name such as en-US-AvaMultilingualNeural");
        }

        if (Locale is not { Length: <= 10 } || !LocalePattern().IsMatch(Locale))
        {
            yield return ("voice.locale", "must be a locale such as en-US");
        }

        if (EndSilenceMs is < 200 or > 5000)
        {
            yield return ("voice.endSilenceMs", "must be 200 to 5000");
        }

        if (InitialSilenceSeconds is < 1 or > 60)
        {
            yield return ("voice.initialSilenceSeconds", "must be 1 to 60");
        }

        if (Reprompts is < 0 or > 5)
        {
            yield return ("voice.reprompts", "must be 0 to 5");
        }

        if (MaxCallMinutes is < 1 or > 120)
        {
            yield return ("voice.maxCallMinutes", "must be 1 to 120");
        }

        if (Mode is not (Turns or Realtime))
        {
            yield return ("voice.mode", $"must be {Turns} or {Realtime}");
        }
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [GeneratedRegex("^[a-z]{2,3}-[A-Z]{2}(-[A-Za-z0-9]{1,40}){1,3}$")]
    private static partial Regex VoiceNamePattern();

    [GeneratedRegex("^[a-z]{2,3}-[A-Z]{2}$")]
    private static partial Regex LocalePattern();
}
