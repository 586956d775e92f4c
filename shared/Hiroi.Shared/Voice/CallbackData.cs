using System.Text.Json;
using Hiroi.Shared.Events;

namespace Hiroi.Shared.Voice;

/// <summary>
/// The fields of a Call Automation callback's data that calls and their conversation use. Parsed from outside input:
/// anything not of the documented shape and bounds is <see cref="MalformedEventException"/> (a 400), never another
/// exception. Speech is at most <see cref="MaxSpeech"/> characters, tones at most <see cref="MaxTones"/> known names.
/// </summary>
public sealed record CallbackData(
    string? CallConnectionId, string? ServerCallId, string? CorrelationId, string? OperationContext, int? Code, int? SubCode, string? State,
    string? RecognitionType, string? Speech, double? Confidence, IReadOnlyList<char> Tones)
{
    public const int MaxSpeech = 4000;
    public const int MaxTones = 64;

    private static readonly Dictionary<string, char> ToneNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zero"] = '0', ["one"] = '1', ["two"] = '2', ["three"] = '3', ["four"] = '4', ["five"] = '5', ["six"] = '6', ["seven"] = '7',
        ["eight"] = '8', ["nine"] = '9', ["a"] = 'A', ["b"] = 'B', ["c"] = 'C', ["d"] = 'D', ["pound"] = '#', ["asterisk"] = '*',
    };

    public static CallbackData Parse(BinaryData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            using var document = JsonDocument.Parse(data.ToMemory());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new MalformedEventException("call event data must be an object");
            }

            var result = Child(root, "resultInformation");
            var speech = Child(root, "speechResult");
            return new CallbackData(
                Text(root, "callConnectionId", 512), Text(root, "serverCallId", 1024), Text(root, "correlationId", 512), Text(root, "operationContext", 512),
                Number(result, "code"), Number(result, "subCode"), Text(root, "state", 512), Text(root, "recognitionType", 32),
                Text(speech, "speech", MaxSpeech), Fraction(speech, "confidence"), ParseTones(Child(root, "dtmfResult")));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Not JSON, or text that is not valid UTF-16 (a lone surrogate) where a string is read.
            throw new MalformedEventException("call event data is not readable JSON", e);
        }
    }

    /// <summary>The caller's keys as text ("1234#"), or null when none were pressed.</summary>
    public string? KeyedText => Tones.Count == 0 ? null : new string([.. Tones]);

    private static JsonElement Child(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    private static string? Text(JsonElement e, string name, int max) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
        ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() is { } s && s.Length <= max ? s : throw new MalformedEventException(name + " is too long"),
            JsonValueKind.Null => null,
            _ => throw new MalformedEventException(name + " must be a string"),
        }
        : null;

    private static int? Number(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    private static double? Fraction(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d)
            && d is >= 0 and <= 1 ? d : null;

    private static char[] ParseTones(JsonElement dtmf)
    {
        if (dtmf.ValueKind != JsonValueKind.Object || !dtmf.TryGetProperty("tones", out var tones) || tones.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (tones.ValueKind != JsonValueKind.Array || tones.GetArrayLength() > MaxTones)
        {
            throw new MalformedEventException($"dtmfResult.tones must be a list of at most {MaxTones} tones");
        }

        var keys = new char[tones.GetArrayLength()];
        var i = 0;
        foreach (var tone in tones.EnumerateArray())
        {
            keys[i++] = tone.ValueKind == JsonValueKind.String && tone.GetString() is { } name && ToneNames.TryGetValue(name, out var key)
                ? key
                : throw new MalformedEventException("dtmfResult.tones holds an unknown tone");
        }

        return keys;
    }
}
