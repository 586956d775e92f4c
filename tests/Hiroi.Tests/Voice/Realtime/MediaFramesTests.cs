using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hiroi.Shared.Voice.Realtime;
using static Hiroi.Tests.Protection.ParserGenerators;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>
/// The media socket's protocol: ACS's messages (outside input) are read exactly or refused, never thrown on; ours are
/// written as Microsoft's documentation writes them (PascalCase).
/// </summary>
public class MediaFramesTests
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>PCM of whole samples, up to a second, as ACS sends it.</summary>
    private static readonly Gen<byte[]> Pcm =
        from samples in Gen.Choose(1, MediaFrames.MaxAudioBytes / 2)
        from bytes in Gen.ArrayOf(ArbMap.Default.ArbFor<byte>().Generator, samples * 2)
        select bytes;

    private static string AudioData(byte[] pcm, bool escaped, bool silent = false) =>
        JsonSerializer.Serialize(
            new { kind = "AudioData", audioData = new { timestamp = "2025-01-01T00:00:00Z", participantRawID = "4:+15550000000", data = Convert.ToBase64String(pcm), silent } },
            escaped ? JsonSerializerOptions.Default : Relaxed);

    /// <summary>Messages of every shape, valid ones with a field damaged, and noise.</summary>
    public static class Arbitraries
    {
        public static Arbitrary<byte[]> Messages() => Arb(Gen.Frequency(
            (2, AnyBytes),
            (2, TextOver("{}[]\":,0123456789truefalsnl\\u kindaudioDataMetadtm").Select(Encoding.UTF8.GetBytes)),
            (3, from pcm in Pcm from cut in Gen.Choose(0, 200) from escaped in ArbMap.Default.ArbFor<bool>().Generator
                select Encoding.UTF8.GetBytes(AudioData(pcm, escaped)[..^Math.Min(cut, 5)]))));
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 1000)]
    public bool Any_message_is_read_or_refused_never_thrown(byte[] message) => MediaFrames.TryParse(message, out _) || true;

    [Property(MaxTest = 200)]
    public Property Audio_reads_back_exactly_whether_or_not_its_base64_is_json_escaped() =>
        Prop.ForAll(Pcm.ToArbitrary(), ArbMap.Default.ArbFor<bool>(), (pcm, escaped) =>
            MediaFrames.TryParse(Encoding.UTF8.GetBytes(AudioData(pcm, escaped)), out var frame) && frame is MediaFrame.Audio { Silent: false } audio
            && audio.Pcm.AsSpan().SequenceEqual(pcm));

    [Fact]
    public void The_documented_messages_are_read()
    {
        Assert.True(MediaFrames.TryParse("""{"kind":"AudioData","audioData":{"data":"AAAAAA=="}}"""u8, out var minimal) && minimal is MediaFrame.Audio { Pcm.Length: 4 });
        Assert.True(MediaFrames.TryParse(
            """{"kind":"AudioMetadata","audioMetadata":{"subscriptionId":"s","encoding":"PCM","sampleRate":24000,"channels":1,"length":960}}"""u8, out var metadata));
        Assert.Equal(new MediaFrame.Metadata(24000, 1, "PCM"), metadata);
        Assert.True(MediaFrames.TryParse("""{"kind":"DtmfData","dtmfData":{"data":"#","timestamp":"t","participantRawID":"p"}}"""u8, out var dtmf));
        Assert.Equal(new MediaFrame.Dtmf('#'), dtmf);
        Assert.True(MediaFrames.TryParse(Encoding.UTF8.GetBytes(AudioData(new byte[MediaFrames.FrameBytes], escaped: false, silent: true)), out var silence));
        Assert.True(silence is MediaFrame.Audio { Silent: true, Pcm.Length: MediaFrames.FrameBytes });
        // Kinds it does not act on are read as such; properties ACS adds are ignored.
        Assert.Equal(new MediaFrame.Other("TranscriptionData"), MediaFrames.TryParse("""{"kind":"TranscriptionData","transcriptionData":{}}"""u8, out var other) ? other : null);
        Assert.True(MediaFrames.TryParse("""{"kind":"DtmfData","dtmfData":{"data":"5","mark":{"x":[1]}},"extra":1}"""u8, out _));
        // Kinds are case-sensitive, as in ACS's own parser: another spelling is not audio.
        Assert.Equal(new MediaFrame.Other("audiodata"), MediaFrames.TryParse("""{"kind":"audiodata","audioData":{"data":"AAAAAA=="}}"""u8, out var spelled) ? spelled : null);
    }

    [Theory]
    [InlineData("""{"kind":"AudioData","audioData":{"data":"AAAA"}}""")] // three bytes: not whole 16-bit samples
    [InlineData("""{"kind":"AudioData","audioData":{"data":"not base64!"}}""")]
    [InlineData("""{"kind":"AudioData","audioData":{"data":""}}""")] // no audio and not silent
    [InlineData("""{"kind":"AudioData","audioData":{"data":"AAAAAA==","data":"AAAAAA=="}}""")] // a repeated property
    [InlineData("""{"kind":"AudioData","kind":"DtmfData","dtmfData":{"data":"1"}}""")]
    [InlineData("""{"kind":"AudioData","audioData":{"data":"AAAAAA==","silent":"no"}}""")]
    [InlineData("""{"kind":"AudioData"}""")]
    [InlineData("""{"kind":"AudioData","audioData":{"data":"AAAAAA=="}} {}""")] // trailing data
    [InlineData("""{"kind":"AudioMetadata","audioMetadata":{"encoding":"PCM","sampleRate":24000,"channels":2}}""")]
    [InlineData("""{"kind":"AudioMetadata","audioMetadata":{"encoding":"PCM","sampleRate":1e99,"channels":1}}""")]
    [InlineData("""{"kind":"DtmfData","dtmfData":{"data":"12"}}""")]
    [InlineData("""{"kind":"DtmfData","dtmfData":{"data":"x"}}""")]
    [InlineData("""{"kind":"Audio Data"}""")]
    [InlineData("""[{"kind":"AudioData","audioData":{"data":"AAAAAA=="}}]""")]
    public void A_message_that_is_not_exactly_valid_is_refused(string message)
    {
        Assert.False(MediaFrames.TryParse(Encoding.UTF8.GetBytes(message), out var frame));
        Assert.Null(frame);
    }

    [Fact]
    public void Outbound_messages_are_pascal_case_as_documented()
    {
        var pcm = new byte[] { 1, 2, 3, 4, 250, 251 };

        using var audio = JsonDocument.Parse(MediaFrames.Audio(pcm));
        Assert.Equal("AudioData", audio.RootElement.GetProperty("Kind").GetString());
        Assert.Equal(pcm, audio.RootElement.GetProperty("AudioData").GetProperty("Data").GetBytesFromBase64());
        Assert.Equal(JsonValueKind.Null, audio.RootElement.GetProperty("StopAudio").ValueKind);
        Assert.Equal("""{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}""", Encoding.UTF8.GetString(MediaFrames.StopAudio.Span));
    }
}
