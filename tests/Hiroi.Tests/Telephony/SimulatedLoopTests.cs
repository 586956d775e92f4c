using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Server.AcsSimulator;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Hiroi.Tests.Telephony;

public class SimulatedLoopTests(SimulatedAcsApp app) : IClassFixture<SimulatedAcsApp>
{
    private static Task<T> EventuallyAsync<T>(Func<Task<T?>> probe) where T : class => Waits.UntilAsync(probe, "the simulated loop to settle");

    private async Task<(CreatedOrganization Org, HttpClient Owner, string Number)> OrgAsync()
    {
        var org = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(org.OwnerApiKey);
        var number = Unique.PhoneNumber();
        (await owner.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        return (org, owner, number);
    }

    [Fact]
    public async Task Stop_from_the_customer_then_an_sms_and_its_delivery_report_round_trip()
    {
        var (org, owner, number) = await OrgAsync();
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/simulate/sms", new { from = "+15550310001", to = number, message = "STOP" })).StatusCode);
        await EventuallyAsync(async () =>
            JsonDocument.Parse(await owner.GetStringAsync("/api/optouts")).RootElement is { } list && list.GetArrayLength() == 1 ? list.Clone() : (object?)null);

        var outbound = app.Services.GetRequiredService<OutboundSms>();
        Assert.Equal(SmsOutcome.BlockedOptedOut,
            (await outbound.SendAsync(new OutboundSmsRequest(org.OrgId, number, "+15550310001", "Deal!", SmsPurpose.Campaign, "c:1:1", DateTimeOffset.UtcNow), default)).Outcome);
        var sent = await outbound.SendAsync(
            new OutboundSmsRequest(org.OrgId, number, "+15550310002", "Your table is ready", SmsPurpose.Conversation, "conv:1", DateTimeOffset.UtcNow), default);
        var again = await outbound.SendAsync(
            new OutboundSmsRequest(org.OrgId, number, "+15550310002", "Your table is ready", SmsPurpose.Conversation, "conv:1", DateTimeOffset.UtcNow), default);
        Assert.Equal(SmsOutcome.Sent, sent.Outcome);
        Assert.Equal(sent.MessageId, again.MessageId);

        var delivered = await EventuallyAsync(async () =>
        {
            var conversations = JsonDocument.Parse(await owner.GetStringAsync("/api/conversations")).RootElement;
            foreach (var c in conversations.EnumerateArray().Where(c => c.GetProperty("customerNumber").GetString() == "+15550310002"))
            {
                var messages = JsonDocument.Parse(await owner.GetStringAsync($"/api/conversations/{c.GetProperty("id").GetString()}/messages")).RootElement;
                if (messages.EnumerateArray().FirstOrDefault(m => m.TryGetProperty("deliveryStatus", out _)) is { ValueKind: JsonValueKind.Object } m)
                {
                    return (object?)m.Clone();
                }
            }

            return null;
        });
        Assert.Equal("Delivered", ((JsonElement)delivered).GetProperty("deliveryStatus").GetString());

        var sims = JsonDocument.Parse(await client.GetStringAsync("/simulate/sent-sms")).RootElement.EnumerateArray()
            .Where(s => s.GetProperty("from").GetString() == number).ToList();
        Assert.Equal(2, sims.Count); // the opt-out confirmation and the one conversation message
        Assert.DoesNotContain(sims, s => s.GetProperty("to").GetString() == "+15550310001" && s.GetProperty("requests").GetInt32() > 1);
    }

    [Fact]
    public async Task An_incoming_call_connects_ends_and_its_recording_is_stored_and_removed_from_acs()
    {
        var (org, owner, number) = await OrgAsync();
        var client = app.CreateClient();

        var placed = await client.PostAsJsonAsync("/simulate/incoming-call", new { from = "+15550320001", to = number });
        var serverCallId = JsonDocument.Parse(await placed.Content.ReadAsStringAsync()).RootElement.GetProperty("serverCallId").GetString()!;
        var connected = await EventuallyAsync(async () =>
            JsonDocument.Parse(await owner.GetStringAsync("/api/calls")).RootElement.EnumerateArray().FirstOrDefault(c => c.TryGetProperty("connectedAt", out _))
                is { ValueKind: JsonValueKind.Object } c ? (object?)c.Clone() : null);
        var callId = ((JsonElement)connected).GetProperty("id").GetString();

        await app.Services.GetRequiredService<IAcsClient>().StartRecordingAsync(serverCallId, null, default);

        await EventuallyAsync(async () =>
            JsonDocument.Parse(await owner.GetStringAsync($"/api/calls/{callId}")).RootElement.GetProperty("state").GetString() == "disconnected" ? "ok" : null);
        var recording = await EventuallyAsync(async () =>
        {
            await foreach (var r in app.Services.GetRequiredService<RecordingRepository>().ListAsync(org.OrgId, default))
            {
                if (r.AcsCopyDeleted)
                {
                    return r;
                }
            }

            return null;
        });
        Assert.Equal(callId, recording.CallId);
    }

    [Fact]
    public async Task The_simulator_rejects_requests_whose_signature_is_wrong()
    {
        var body = Encoding.UTF8.GetBytes("""{"from":"+15550000001","smsRecipients":[{"to":"+15550000002"}],"message":"hi"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost/sms?api-version=2021-03-07") { Content = new ByteArrayContent(body) };
        AcsHmac.Sign(request, body, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.UtcNow);

        var response = await app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostAsync("/sms?api-version=2021-03-07", new ByteArrayContent(body))).StatusCode);
    }

    [Fact]
    public async Task The_simulators_triggers_refuse_oversized_or_non_numbers_with_400()
    {
        var client = app.CreateClient();
        var huge = "+1" + new string('5', 1_000_000);

        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/simulate/incoming-call", new { from = huge, to = "+15550320009" }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/simulate/incoming-call", new { from = "call me", to = "+15550320009" }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/simulate/sms", new { from = "+15550320008", to = huge, message = "hi" }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/simulate/sms", new { from = "+15550320008", to = "+15550320009", message = new string('x', 10_001) }), HttpStatusCode.BadRequest);
    }
}
