using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Hiroi.Shared.Events;
using Hiroi.Shared.Voice;

namespace Hiroi.Tests.Voice;

/// <summary>What comes back from Call Automation is outside input: parsed strictly, never with an exception of another kind.</summary>
public class VoiceParserTests
{
    [Theory]
    [InlineData("hv1.0.prompt", 0, MediaPurpose.Prompt)]
    [InlineData("hv1.12.filler", 12, MediaPurpose.Filler)]
    [InlineData("hv1.100000.goodbye", 100000, MediaPurpose.Goodbye)]
    public void A_context_we_wrote_reads_back(string text, int turn, MediaPurpose purpose)
    {
        Assert.True(MediaContext.TryParse(text, out var context));
        Assert.Equal(new MediaContext(turn, purpose), context);
        Assert.Equal(text, context.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("hv1.01.prompt")]
    [InlineData("hv1.-1.prompt")]
    [InlineData("hv1.+1.prompt")]
    [InlineData("hv1.1.Prompt")]
    [InlineData("hv1.1.prompt ")]
    [InlineData("hv1.100001.prompt")]
    [InlineData("hv1.1")]
    [InlineData("hv2.1.prompt")]
    [InlineData("hv1.١.prompt")]
    public void Anything_else_is_not_a_context_of_ours(string? text) => Assert.False(MediaContext.TryParse(text, out _));

    [Fact]
    public void Only_contexts_we_could_have_written_parse_and_they_write_back_the_same() =>
        Prop.ForAll<string>(text =>
            !MediaContext.TryParse(text, out var context) || context.ToString() == text).QuickCheckThrowOnFailure();

    [Fact]
    public void Callback_data_is_read_or_refused_as_malformed_and_never_throws_anything_else() =>
        Prop.ForAll(Payloads().ToArbitrary(), json =>
        {
            try
            {
                CallbackData.Parse(BinaryData.FromString(json));
                return true;
            }
            catch (MalformedEventException)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Tones_are_read_whatever_their_case_and_unknown_ones_refused()
    {
        var data = CallbackData.Parse(BinaryData.FromString("""{"dtmfResult":{"tones":["one","Two","pound","asterisk","a"]},"operationContext":"hv1.0.prompt"}"""));

        Assert.Equal("12#*A", data.KeyedText);
        Assert.Throws<MalformedEventException>(() => CallbackData.Parse(BinaryData.FromString("""{"dtmfResult":{"tones":["eleven"]}}""")));
        Assert.Throws<MalformedEventException>(() => CallbackData.Parse(BinaryData.FromString(
            "{\"speechResult\":{\"speech\":\"" + new string('a', CallbackData.MaxSpeech + 1) + "\"}}")));
    }

    /// <summary>JSON-ish text: real callback shapes with their values mangled, and arbitrary strings.</summary>
    private static Gen<string> Payloads()
    {
        var value = Gen.Elements("null", "1", "-1", "1e400", "0.5", "\"x\"", "[]", "{}", "true", "\"\\ud800\"", "[\"one\",\"pound\"]", "[1]", "\"" + new string('z', 5000) + "\"");
        var field = Gen.Elements("callConnectionId", "operationContext", "speechResult", "speech", "confidence", "dtmfResult", "tones", "resultInformation", "subCode", "code");
        var objects = from f1 in field from v1 in value from f2 in field from v2 in value
                      select "{\"" + f1 + "\":" + v1 + ",\"" + f2 + "\":{\"" + f2 + "\":" + v2 + ",\"tones\":" + v1 + "}}";
        return Gen.OneOf(objects, ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? string.Empty), Gen.Constant(Encoding.Latin1.GetString([0xEF, 0xBB, 0xBF, 0x7B])));
    }
}
