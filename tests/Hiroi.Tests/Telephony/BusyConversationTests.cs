using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Telephony;

/// <summary>
/// Many messages at once into one conversation: each is a transaction on the same conversation row. The load run found
/// 500s here when a write lost its ETag race five times; contention is transient (503, Event Grid retries), and after
/// the retries every message is stored once.
/// </summary>
public class BusyConversationTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    [Fact]
    public async Task Forty_simultaneous_messages_into_one_conversation_are_200_or_503_and_all_stored_after_retries()
    {
        const string number = "+15550410001";
        var (_, owner) = await fixture.Telephony.OrgWithNumberAsync(number);
        var events = Enumerable.Range(0, 40).Select(i => AcsEvents.Batch(AcsEvents.SmsReceived("+15550419999", number, $"burst {i}"))).ToList();

        async Task<HttpStatusCode> DeliverAsync(string batch) =>
            (await fixture.Telephony.Webhook().PostAsync("/api/eventgrid/acs", TelephonyApp.Json(batch))).StatusCode;

        var first = await Task.WhenAll(events.Select(DeliverAsync));
        Assert.All(first, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"answered {(int)status}"));
        foreach (var (batch, status) in events.Zip(first))
        {
            // Event Grid's retry of a 503.
            var retried = status;
            for (var attempt = 0; retried == HttpStatusCode.ServiceUnavailable && attempt < 5; attempt++)
            {
                retried = await DeliverAsync(batch);
            }

            Assert.Equal(HttpStatusCode.OK, retried);
        }

        var conversation = Assert.Single((await owner.GetFromJsonAsync<JsonElement>("/api/conversations")).EnumerateArray());
        var messages = await owner.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversation.GetProperty("id").GetString()}/messages");
        Assert.Equal(40, messages.GetArrayLength());
    }
}
