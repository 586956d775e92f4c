using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>One message ACS sends on a call's media socket, as read by <see cref="MediaFrames.TryParse"/>.</summary>
public abstract record MediaFrame
{
    private MediaFrame()
    {
    }

    /// <summary>The first message: the audio's format (we answer asking for 24 kHz 16-bit mono PCM).</summary>
    public sealed record Metadata(int SampleRate, int Channels, string Encoding) : MediaFrame;

    /// <summary>20 ms of the call's mixed audio, 16-bit little-endian PCM; <paramref name="Silent"/> when ACS heard nothing.</summary>
    public sealed record Audio(byte[] Pcm, bool Silent) : MediaFrame;

    /// <summary>A key the caller pressed: 0-9, *, # or A-D.</summary>
    public sealed record Dtmf(char Tone) : MediaFrame;

    /// <summary>A kind of message we do not act on (ACS also streams transcription and DTMF metadata).</summary>
    public sealed record Other(string Kind) : MediaFrame;
}

/// <summary>
/// The media streaming protocol of Call Automation (api-version 2025-05-15), both ways. Inbound messages are camelCase
/// JSON (<c>{"kind":"AudioData","audioData":{"data":base64,"silent":false,...}}</c>) and come from outside: the parser
/// refuses anything that is not exactly one of them (a known property of the wrong type, a repeated property, audio
/// that is not whole 16-bit samples or not base64, trailing bytes) and never throws. Properties it does not know are
/// ignored, as ACS adds some (<c>mark</c>). Outbound messages are written exactly as Microsoft's documentation shows
/// them, PascalCase: <c>{"Kind":"AudioData","AudioData":{"Data":base64},"StopAudio":null}</c> and
/// <c>{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}</c>.
/// </summary>
public static class MediaFrames
{
    /// <summary>The format we ask ACS for (<c>pcm24KMono</c>) and the realtime model speaks.</summary>
    public const int SampleRate = 24_000;

    /// <summary>20 ms at 24 kHz, 16-bit mono: the frame both sides send.</summary>
    public const int FrameBytes = SampleRate / 50 * 2;

    /// <summary>The most audio one inbound message may carry (one second).</summary>
    public const int MaxAudioBytes = SampleRate * 2;

    private const int MaxKindLength = 64;

    private static readonly byte[] AudioPrefix = Encoding.UTF8.GetBytes("{\"Kind\":\"AudioData\",\"AudioData\":{\"Data\":\"");
    private static readonly byte[] AudioSuffix = Encoding.UTF8.GetBytes("\"},\"StopAudio\":null}");

    /// <summary>The StopAudio message: ACS drops the agent's audio it has not played yet.</summary>
    public static ReadOnlyMemory<byte> StopAudio { get; } = Encoding.UTF8.GetBytes("{\"Kind\":\"StopAudio\",\"AudioData\":null,\"StopAudio\":{}}");

    /// <summary>Milliseconds of audio in <paramref name="bytes"/> bytes of 24 kHz 16-bit mono PCM.</summary>
    public static double Milliseconds(long bytes) => bytes / (SampleRate * 2 / 1000.0);

    /// <summary>An AudioData message carrying <paramref name="pcm"/>, written into a new array.</summary>
    public static byte[] Audio(ReadOnlySpan<byte> pcm)
    {
        var message = new byte[AudioPrefix.Length + Base64.GetMaxEncodedToUtf8Length(pcm.Length) + AudioSuffix.Length];
        AudioPrefix.CopyTo(message, 0);
        Base64.EncodeToUtf8(pcm, message.AsSpan(AudioPrefix.Length), out _, out var written);
        AudioSuffix.CopyTo(message, AudioPrefix.Length + written);
        return message;
    }

    /// <summary>Reads one inbound message; false (never an exception) for anything that is not exactly one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out MediaFrame? frame)
    {
        frame = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? kind = null;
            Payload payload = default;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!seen.Add(name) || !reader.Read())
                {
                    return false;
                }

                switch (name)
                {
                    case "kind":
                        if (reader.TokenType != JsonTokenType.String || (kind = reader.GetString()) is not { Length: > 0 and <= MaxKindLength }
                            || !kind.All(char.IsAsciiLetter))
                        {
                            return false;
                        }

                        break;
                    case "audioMetadata" or "audioData" or "dtmfData":
                        if (reader.TokenType != JsonTokenType.StartObject || !TryReadPayload(ref reader, name, out var read))
                        {
                            return false;
                        }

                        payload = payload.With(name, read);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || kind is null)
            {
                return false;
            }

            frame = kind switch
            {
                "AudioMetadata" when payload.Metadata is { } m => m,
                "AudioData" when payload.Audio is { } a => a,
                "DtmfData" when payload.Dtmf is { } d => d,
                "AudioMetadata" or "AudioData" or "DtmfData" => null,
                _ => new MediaFrame.Other(kind),
            };
            return frame is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryReadPayload(ref Utf8JsonReader reader, string name, out MediaFrame? frame)
    {
        frame = null;
        int? sampleRate = null, channels = null;
        string? encoding = null, tone = null;
        byte[]? pcm = null;
        var silent = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString()!;
            if (!seen.Add(property) || !reader.Read())
            {
                return false;
            }

            var ok = (name, property) switch
            {
                ("audioMetadata", "sampleRate") => TryInt(ref reader, out sampleRate),
                ("audioMetadata", "channels") => TryInt(ref reader, out channels),
                ("audioMetadata", "encoding") => TryString(ref reader, out encoding),
                ("audioData", "data") => TryPcm(ref reader, out pcm),
                ("audioData", "silent") => TryBool(ref reader, out silent),
                ("dtmfData", "data") => TryString(ref reader, out tone),
                _ => Skip(ref reader),
            };
            if (!ok)
            {
                return false;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return false;
        }

        frame = name switch
        {
            "audioMetadata" when sampleRate is >= 8000 and <= 48_000 && channels is 1 && encoding == "PCM" => new MediaFrame.Metadata(sampleRate.Value, 1, encoding),
            "audioData" when pcm is not null && (pcm.Length > 0 || silent) => new MediaFrame.Audio(pcm, silent),
            "dtmfData" when tone is { Length: 1 } && (char.IsAsciiDigit(tone[0]) || tone[0] is '*' or '#' or (>= 'A' and <= 'D')) => new MediaFrame.Dtmf(tone[0]),
            _ => null,
        };
        return frame is not null;
    }

    private static bool TryInt(ref Utf8JsonReader reader, out int? value)
    {
        value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number) ? number : null;
        return value is not null;
    }

    private static bool TryBool(ref Utf8JsonReader reader, out bool value)
    {
        value = reader.TokenType == JsonTokenType.True;
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
    }

    private static bool TryString(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value is not null;
    }

    /// <summary>Base64 PCM: whole 16-bit samples, at most <see cref="MaxAudioBytes"/>. JSON may escape its characters (<c>\u002B</c> for <c>+</c>).</summary>
    private static bool TryPcm(ref Utf8JsonReader reader, out byte[]? pcm)
    {
        pcm = null;
        var maxText = Base64.GetMaxEncodedToUtf8Length(MaxAudioBytes);
        // An escaped character takes at most six bytes in the message.
        if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > (reader.ValueIsEscaped ? maxText * 6 : maxText))
        {
            return false;
        }

        ReadOnlySpan<byte> text = reader.ValueSpan;
        if (reader.ValueIsEscaped)
        {
            var unescaped = new byte[reader.ValueSpan.Length];
            text = unescaped.AsSpan(0, reader.CopyString(unescaped));
            if (text.Length > maxText)
            {
                return false;
            }
        }

        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (Base64.DecodeFromUtf8(text, decoded, out var consumed, out var written) != OperationStatus.Done || consumed != text.Length || written % 2 != 0)
        {
            return false;
        }

        pcm = written == decoded.Length ? decoded : decoded[..written];
        return true;
    }

    private static bool Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return true;
    }

    /// <summary>The payloads of one message, by the property they came in.</summary>
    private readonly record struct Payload(MediaFrame.Metadata? Metadata, MediaFrame.Audio? Audio, MediaFrame.Dtmf? Dtmf)
    {
        public Payload With(string name, MediaFrame? frame) => name switch
        {
            "audioMetadata" => this with { Metadata = frame as MediaFrame.Metadata },
            "audioData" => this with { Audio = frame as MediaFrame.Audio },
            _ => this with { Dtmf = frame as MediaFrame.Dtmf },
        };
    }
}
