using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Acs;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Moq;

namespace Hiroi.Tests.Telephony;

/// <summary>
/// The outside sweep's webhook faults: authenticated events under 1 MB that no table could ever store got a 5xx, which
/// Event Grid retries for a day. Each is now a 400 (dead-lettered), and the good events of the same batch are handled.
/// </summary>
public class UnstorableEventTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    private const string Route = "/api/eventgrid/acs";
    private TelephonyApp T => fixture.Telephony;

    /// <summary>Sends <paramref name="bad"/> with a good SMS in one batch; asserts 400 naming the bad one and the good one stored.</summary>
    private async Task AssertDeadLetteredBesideAGoodEventAsync(string number, byte[] bad)
    {
        var (_, owner) = await T.OrgWithNumberAsync(number);
        var good = AcsEvents.SmsReceived("+15550309999", number, "the good one").ToJsonString();
        var body = new List<byte>();
        body.AddRange("["u8.ToArray());
        body.AddRange(Encoding.UTF8.GetBytes(good));
        body.AddRange(","u8.ToArray());
        body.AddRange(bad);
        body.AddRange("]"u8.ToArray());
        using var content = new ByteArrayContent([.. body]);
        content.Headers.ContentType = new("application/json");

        var response = await T.Webhook().PostAsync(Route, content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        var conversations = await owner.GetFromJsonAsync<JsonElement>("/api/conversations");
        Assert.Equal(1, conversations.GetArrayLength());
    }

    private static byte[] Utf8(System.Text.Json.Nodes.JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    [Fact]
    public async Task Invalid_utf8_inside_an_events_string_is_400()
    {
        var sms = AcsEvents.SmsReceived("+15550309998", "+15550310001", "PLACEHOLDER").ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(sms);
        var at = sms.IndexOf("PLACEHOLDER", StringComparison.Ordinal);
        bytes[at] = 0xC3; // a lead byte followed by an ASCII letter: not UTF-8
        await AssertDeadLetteredBesideAGoodEventAsync("+15550310001", bytes);
    }

    [Fact]
    public async Task An_sms_of_900000_characters_is_400()
    {
        await AssertDeadLetteredBesideAGoodEventAsync("+15550310002", Utf8(AcsEvents.SmsReceived("+15550309998", "+15550310002", new string('m', 900_000))));
    }

    [Theory]
    [InlineData("+15550310003", "../../etc")]
    [InlineData("+15550310004", "a#b")]
    [InlineData("+15550310005", null)]
    public async Task A_message_id_that_cannot_be_a_key_is_400(string number, string? messageId)
    {
        var sms = AcsEvents.SmsReceived("+15550309998", number, "hello");
        sms["data"]!["messageId"] = messageId ?? new string('i', 2_000);
        await AssertDeadLetteredBesideAGoodEventAsync(number, Utf8(sms));
    }

    [Fact]
    public async Task A_delivery_report_with_an_unusable_message_id_is_400()
    {
        var report = AcsEvents.DeliveryReport("+15550310006", "+15550309998", "../../etc", "Delivered");
        await AssertDeadLetteredBesideAGoodEventAsync("+15550310006", Utf8(report));
    }

    [Fact]
    public async Task An_incoming_call_with_a_100000_character_server_call_id_or_a_900000_character_context_is_400_and_never_answered()
    {
        var longId = AcsEvents.IncomingCall("+15550309998", "+15550310007", new string('s', 100_000));
        await AssertDeadLetteredBesideAGoodEventAsync("+15550310007", Utf8(longId));

        var longContext = AcsEvents.IncomingCall("+15550309998", "+15550310008", "srv-ok");
        longContext["data"]!["incomingCallContext"] = new string('c', 900_000);
        await AssertDeadLetteredBesideAGoodEventAsync("+15550310008", Utf8(longContext));

        T.Acs.Verify(a => a.AnswerCallAsync(It.Is<AnswerCallRequest>(r => r.IncomingCallContext.Length > 1000), It.IsAny<CancellationToken>()), Times.Never);
    }
}
