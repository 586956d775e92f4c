using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hiroi.Shared.Telephony;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Hiroi.Tests.Telephony;

public class EventGridWebhookTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    private const string Route = "/api/eventgrid/acs";
    private static int _numberSeed = 1000;
    private TelephonyApp T => fixture.Telephony;

    private static string NewNumber() => "+1555010" + Interlocked.Increment(ref _numberSeed).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private Task<HttpResponseMessage> DeliverAsync(string json, string? secret = TelephonyApp.WebhookSecret, string mediaType = "application/json") =>
        T.Webhook(secret).PostAsync(Route, TelephonyApp.Json(json, mediaType));

    private static async Task<List<JsonElement>> MessagesAsync(HttpClient owner)
    {
        var conversations = AcsEvents.Parse(await owner.GetStringAsync("/api/conversations"));
        var all = new List<JsonElement>();
        foreach (var c in conversations.EnumerateArray())
        {
            all.AddRange(AcsEvents.Parse(await owner.GetStringAsync($"/api/conversations/{c.GetProperty("id").GetString()}/messages")).EnumerateArray());
        }

        return all;
    }

    [Fact]
    public async Task Event_grid_subscription_validation_echoes_the_code()
    {
        var client = T.Webhook();
        using var request = new HttpRequestMessage(HttpMethod.Post, Route) { Content = TelephonyApp.Json(AcsEvents.ValidationEvent("512d38b6-code")) };
        request.Headers.Add("aeg-event-type", "SubscriptionValidation");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("512d38b6-code", AcsEvents.Parse(await response.Content.ReadAsStringAsync()).GetProperty("validationResponse").GetString());
    }

    [Fact]
    public async Task Cloudevents_options_handshake_allows_the_origin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, Route);
        request.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");

        var response = await T.Webhook().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("eventgrid.azure.net", response.Headers.GetValues("WebHook-Allowed-Origin").Single());
    }

    [Fact]
    public async Task The_handshakes_need_the_secret_too()
    {
        using var options = new HttpRequestMessage(HttpMethod.Options, Route);
        options.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        Assert.Equal(HttpStatusCode.Unauthorized, (await T.Webhook(secret: null).SendAsync(options)).StatusCode);

        using var validation = new HttpRequestMessage(HttpMethod.Post, Route) { Content = TelephonyApp.Json(AcsEvents.ValidationEvent("c")) };
        validation.Headers.Add("aeg-event-type", "SubscriptionValidation");
        Assert.Equal(HttpStatusCode.Unauthorized, (await T.Webhook("wrong").SendAsync(validation)).StatusCode);
    }

    [Fact]
    public async Task The_secret_is_accepted_from_the_query_and_the_previous_secret_still_works()
    {
        var number = NewNumber();
        await T.OrgWithNumberAsync(number);
        var body = AcsEvents.Batch(AcsEvents.SmsReceived("+15550001111", number, "hello"));

        var viaQuery = await T.Webhook(secret: null).PostAsync($"{Route}?code={TelephonyApp.WebhookSecret}", TelephonyApp.Json(body));
        var viaPrevious = await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived("+15550001111", number, "again")), TelephonyApp.PreviousWebhookSecret);

        Assert.Equal(HttpStatusCode.OK, viaQuery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaPrevious.StatusCode);
    }

    [Fact]
    public async Task An_sms_delivered_three_times_is_stored_once()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);
        var body = AcsEvents.Batch(AcsEvents.SmsReceived("15550002222", number.TrimStart('+'), "Is my order ready?"));

        var answers = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            var response = await DeliverAsync(body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.Add(AcsEvents.Parse(await response.Content.ReadAsStringAsync()));
        }

        Assert.Equal([1, 0, 0], answers.Select(a => a.GetProperty("handled").GetInt32()));
        Assert.Equal([0, 1, 1], answers.Select(a => a.GetProperty("duplicates").GetInt32()));
        var messages = await MessagesAsync(owner);
        var message = Assert.Single(messages);
        Assert.Equal("Is my order ready?", message.GetProperty("text").GetString());
        var conversation = AcsEvents.Parse(await owner.GetStringAsync("/api/conversations"))[0];
        Assert.Equal("+15550002222", conversation.GetProperty("customerNumber").GetString());
        Assert.True(conversation.GetProperty("awaitingAgent").GetBoolean());
    }

    [Fact]
    public async Task A_late_older_sms_is_stored_and_flags_the_conversation_without_moving_its_time_back()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);
        var older = AcsEvents.SmsReceived("+15550004444", number, "first", receivedAt: "2026-11-23T12:00:00Z");
        var newer = AcsEvents.SmsReceived("+15550004444", number, "second", receivedAt: "2026-11-23T12:05:00Z");

        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(AcsEvents.Batch(newer))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(AcsEvents.Batch(older))).StatusCode);
        var again = AcsEvents.Parse(await (await DeliverAsync(AcsEvents.Batch(older))).Content.ReadAsStringAsync());

        Assert.Equal(1, again.GetProperty("duplicates").GetInt32());
        Assert.Equal(["first", "second"], (await MessagesAsync(owner)).Select(m => m.GetProperty("text").GetString()).Order());
        var conversation = Assert.Single(AcsEvents.Parse(await owner.GetStringAsync("/api/conversations")).EnumerateArray());
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T12:05:00Z", System.Globalization.CultureInfo.InvariantCulture),
            conversation.GetProperty("lastMessageAt").GetDateTimeOffset());
        Assert.True(conversation.GetProperty("awaitingAgent").GetBoolean());
        var messageRowAsConversation = await owner.GetAsync($"/api/conversations/msg_{older["id"]}/messages");
        Assert.Equal(HttpStatusCode.NotFound, messageRowAsConversation.StatusCode); // messages share the table, not the id space
    }

    [Fact]
    public async Task A_conversation_changed_by_a_reply_in_between_still_takes_the_next_message()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);

        await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived("+15550005555", number, "hello", receivedAt: "2026-11-23T12:00:00Z")));
        await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived("+15550005555", number, "HELP"))); // our reply rewrites the conversation row
        var last = await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived("+15550005555", number, "still there?", receivedAt: "2099-01-01T00:00:00Z")));

        Assert.Equal(1, AcsEvents.Parse(await last.Content.ReadAsStringAsync()).GetProperty("handled").GetInt32());
        var conversation = Assert.Single(AcsEvents.Parse(await owner.GetStringAsync("/api/conversations")).EnumerateArray());
        Assert.Equal(2099, conversation.GetProperty("lastMessageAt").GetDateTimeOffset().Year);
    }

    [Fact]
    public async Task Cloudevents_single_and_batched_are_handled()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);
        var single = AcsEvents.ToCloudEvent(AcsEvents.SmsReceived("+15550003333", number, "one")).ToJsonString();
        var batch = AcsEvents.Batch(AcsEvents.ToCloudEvent(AcsEvents.SmsReceived("+15550003333", number, "two")),
            AcsEvents.ToCloudEvent(AcsEvents.SmsReceived("+15550003333", number, "three")));

        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(single, mediaType: "application/cloudevents+json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(batch, mediaType: "application/cloudevents-batch+json")).StatusCode);

        Assert.Equal(["one", "three", "two"], (await MessagesAsync(owner)).Select(m => m.GetProperty("text").GetString()).Order());
    }

    [Fact]
    public async Task Stop_opts_out_once_confirms_once_and_blocks_every_later_sms()
    {
        var number = NewNumber();
        var (org, owner) = await T.OrgWithNumberAsync(number);
        const string person = "+15550004444";
        var stop = AcsEvents.Batch(AcsEvents.SmsReceived(person, number, "  stop "));
        var sentBefore = T.SentSms().Count(s => s.To == person);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(stop)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived(person, number, "QUIT")))).StatusCode);

        var confirmations = T.SentSms().Where(s => s.To == person).Skip(sentBefore).ToList();
        var confirmation = Assert.Single(confirmations);
        Assert.Contains("unsubscribed", confirmation.Message, StringComparison.Ordinal);
        Assert.Empty(await MessagesAsync(owner).ContinueWith(t => t.Result.Where(m => m.GetProperty("direction").GetString() == "inbound")));
        var optOut = Assert.Single(AcsEvents.Parse(await owner.GetStringAsync("/api/optouts")).EnumerateArray());
        Assert.Equal(person, optOut.GetProperty("number").GetString());
        Assert.True(optOut.GetProperty("optedOut").GetBoolean());

        var outbound = T.App.Services.GetRequiredService<OutboundSms>();
        foreach (var purpose in new[] { SmsPurpose.Conversation, SmsPurpose.Campaign })
        {
            var result = await outbound.SendAsync(new OutboundSmsRequest(org.OrgId, number, person, "Big sale!", purpose, "k-" + purpose, DateTimeOffset.UtcNow), default);
            Assert.Equal(SmsOutcome.BlockedOptedOut, result.Outcome);
        }

        Assert.Single(T.SentSms().Where(s => s.To == person).Skip(sentBefore));
    }

    [Fact]
    public async Task Start_resubscribes_only_after_an_opt_out_and_yes_is_otherwise_a_reply()
    {
        var number = NewNumber();
        var (org, owner) = await T.OrgWithNumberAsync(number);
        const string person = "+15550005555";

        await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived(person, number, "yes")));
        Assert.Equal("yes", Assert.Single(await MessagesAsync(owner)).GetProperty("text").GetString());
        Assert.Empty(AcsEvents.Parse(await owner.GetStringAsync("/api/optouts")).EnumerateArray());

        await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived(person, number, "STOP")));
        await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived(person, number, "Start")));

        Assert.False(Assert.Single(AcsEvents.Parse(await owner.GetStringAsync("/api/optouts")).EnumerateArray()).GetProperty("optedOut").GetBoolean());
        var result = await T.App.Services.GetRequiredService<OutboundSms>()
            .SendAsync(new OutboundSmsRequest(org.OrgId, number, person, "Welcome back", SmsPurpose.Conversation, "k-back", DateTimeOffset.UtcNow), default);
        Assert.Equal(SmsOutcome.Sent, result.Outcome);
    }

    [Fact]
    public async Task Help_gets_the_help_text_and_does_not_reach_the_agent()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);
        const string person = "+15550006666";

        await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived(person, number, "HELP")));

        var reply = Assert.Single(T.SentSms(), s => s.To == person);
        Assert.Contains("STOP", reply.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await MessagesAsync(owner), m => m.GetProperty("direction").GetString() == "inbound");
    }

    [Fact]
    public async Task A_delivery_report_before_its_send_record_and_an_older_report_after_a_newer_one()
    {
        var number = NewNumber();
        var (org, owner) = await T.OrgWithNumberAsync(number);
        const string person = "+15550007777";
        T.Acs.Invocations.Clear();
        var outbound = T.App.Services.GetRequiredService<OutboundSms>();

        // The report for the next message id arrives first.
        var nextId = "Outgoing_early_" + Guid.NewGuid().ToString("N");
        T.Acs.Setup(a => a.SendSmsAsync(It.Is<Shared.Acs.SmsRequest>(r => r.To == person), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new Shared.Acs.SmsSendResult(nextId, true, 202, null));
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(AcsEvents.Batch(AcsEvents.DeliveryReport(number, person, nextId, "Delivered", "2026-11-23T12:00:09Z")))).StatusCode);
        await outbound.SendAsync(new OutboundSmsRequest(org.OrgId, number, person, "Your code is ready", SmsPurpose.Conversation, "k-early", DateTimeOffset.UtcNow), default);
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(AcsEvents.Batch(AcsEvents.DeliveryReport(number, person, nextId, "Failed", "2026-11-23T12:00:01Z")))).StatusCode);

        var message = Assert.Single(await MessagesAsync(owner));
        Assert.Equal("Your code is ready", message.GetProperty("text").GetString());
        Assert.Equal("Delivered", message.GetProperty("deliveryStatus").GetString());
    }

    [Fact]
    public async Task Events_for_numbers_no_org_owns_are_acknowledged_and_dropped()
    {
        var response = await DeliverAsync(AcsEvents.Batch(AcsEvents.SmsReceived("+15550008888", "+15559999999", "hi")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(T.SentSms(), s => s.To == "+15550008888");
    }

    [Fact]
    public async Task One_bad_event_in_a_batch_does_not_lose_the_good_ones()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);
        var bad = AcsEvents.SmsReceived("+15550009999", number, "x");
        bad["data"]!["from"] = 42;

        var response = await DeliverAsync(AcsEvents.Batch(
            AcsEvents.SmsReceived("+15550009999", number, "good one"), bad, new JsonObject { ["nonsense"] = true },
            AcsEvents.SmsReceived("+15550009999", number, "good two")));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal([2], problem.GetProperty("rejectedIndexes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["good one", "good two"], (await MessagesAsync(owner)).Select(m => m.GetProperty("text").GetString()).Order());
    }

    [Fact]
    public async Task Over_one_megabyte_is_413()
    {
        var huge = AcsEvents.Batch(AcsEvents.SmsReceived("+15550001234", "+15550004321", new string('x', 1024 * 1024)));

        var response = await DeliverAsync(huge);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }
}
