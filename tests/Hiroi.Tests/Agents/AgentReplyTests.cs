using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Hiroi.Tests.Agents.AgentBodies;

namespace Hiroi.Tests.Agents;

/// <summary>Agents answering SMS through the whole loop: the ACS simulator, the webhook, the reply workflow, the SMS client.</summary>
public class AgentReplyTests(SimulatedAcsApp app) : IClassFixture<SimulatedAcsApp>
{
    private static Task<T> EventuallyAsync<T>(Func<Task<T?>> probe) where T : class => Waits.UntilAsync(probe, "the agent loop to settle");

    private AgentTurnRepository Turns => app.Services.GetRequiredService<AgentTurnRepository>();

    private async Task<(HttpClient Owner, string Number, string AgentId, OrgId Org)> AgentAsync(long? dailyTokenCap = null)
    {
        var org = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(org.OwnerApiKey);
        var number = Unique.PhoneNumber();
        (await owner.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        var agent = await (await owner.PostAsJsonAsync("/api/agents", Agent(numbers: [number], dailyTokenCap: dailyTokenCap))).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonElement>();
        return (owner, number, agent.GetProperty("id").GetString()!, org.OrgId);
    }

    private static string Customer() => Unique.PhoneNumber();

    private static async Task<JsonElement[]> MessagesAsync(HttpClient owner, string customer)
    {
        var conversations = await owner.GetFromJsonAsync<JsonElement>("/api/conversations");
        var conversation = conversations.EnumerateArray().FirstOrDefault(c => c.GetProperty("customerNumber").GetString() == customer);
        return conversation.ValueKind == JsonValueKind.Undefined
            ? []
            : [.. (await owner.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversation.GetProperty("id").GetString()}/messages")).EnumerateArray()];
    }

    private static bool Has(JsonElement[] messages, string role) => messages.Any(m => m.TryGetProperty("role", out var r) && r.GetString() == role);

    private async Task DeliverAsync(string json)
    {
        var webhook = app.CreateClient();
        webhook.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", "loop-secret");
        var response = await webhook.PostAsync("/api/eventgrid/acs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_sms_delivered_three_times_gets_exactly_one_agent_reply_which_is_metered()
    {
        var (owner, number, agentId, org) = await AgentAsync();
        var customer = Customer();
        var messageId = "Incoming_" + Guid.NewGuid().ToString("N");
        var delivery = AcsEvents.Batch(AcsEvents.SmsReceived(customer, number, "Are you open on Sunday?", messageId, receivedAt: DateTimeOffset.UtcNow.ToString("O")));

        await Task.WhenAll(DeliverAsync(delivery), DeliverAsync(delivery));
        await DeliverAsync(delivery);

        Assert.Equal(TurnStates.Replied, (await AgentTurns.EndedAsync(Turns, org, messageId)).State); // no other reply to it can come now
        var messages = await MessagesAsync(owner, customer);
        var reply = Assert.Single(messages, m => m.GetProperty("role").GetString() == "agent");
        Assert.Equal("Thanks for your message. You said: Are you open on Sunday?", reply.GetProperty("text").GetString());
        Assert.Equal("outbound", reply.GetProperty("direction").GetString());
        Assert.Single(messages, m => m.GetProperty("role").GetString() == "customer");
        var sent = await app.CreateClient().GetFromJsonAsync<JsonElement>("/simulate/sent-sms");
        Assert.Equal(1, sent.EnumerateArray().Count(s => s.GetProperty("from").GetString() == number && s.GetProperty("to").GetString() == customer));

        var usage = Assert.Single((await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("lines").EnumerateArray());
        Assert.Equal((agentId, "sms", 1), (usage.GetProperty("agentId").GetString(), usage.GetProperty("channel").GetString(), usage.GetProperty("turns").GetInt64()));
        Assert.True(usage.GetProperty("inputTokens").GetInt64() > 0 && usage.GetProperty("outputTokens").GetInt64() > 0);
        Assert.True(usage.GetProperty("costUsd").GetDecimal() > 0);
    }

    [Fact]
    public async Task Stop_is_never_answered_by_the_agent_nor_is_anything_the_person_sends_after_it()
    {
        var (owner, number, _, org) = await AgentAsync();
        var customer = Customer();
        var client = app.CreateClient();

        (await client.PostAsJsonAsync("/simulate/sms", new { from = customer, to = number, message = "STOP" })).EnsureSuccessStatusCode();
        await EventuallyAsync(async () => (await owner.GetFromJsonAsync<JsonElement>("/api/optouts")).GetArrayLength() == 1 ? "opted out" : null);
        (await client.PostAsJsonAsync("/simulate/sms", new { from = customer, to = number, message = "Actually, one question" })).EnsureSuccessStatusCode();

        var question = await EventuallyAsync(async () => AgentTurns.CustomerMessageIds(await MessagesAsync(owner, customer)).SingleOrDefault());
        Assert.Equal(TurnStates.Skipped, (await AgentTurns.EndedAsync(Turns, org, question)).State); // no reply to it can come now
        var messages = await MessagesAsync(owner, customer);
        Assert.False(Has(messages, "agent"), "an opted-out person got an agent reply");
        Assert.Equal(0, (await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("lines").GetArrayLength()); // no model call was made
    }

    [Fact]
    public async Task A_turn_over_the_agents_cap_is_refused_with_a_note_and_an_audit_entry_and_no_reply()
    {
        var (owner, number, agentId, _) = await AgentAsync(dailyTokenCap: 10);
        var customer = Customer();

        (await app.CreateClient().PostAsJsonAsync("/simulate/sms", new { from = customer, to = number, message = "Hello?" })).EnsureSuccessStatusCode();

        var messages = await EventuallyAsync(async () => await MessagesAsync(owner, customer) is var m && Has(m, "system") ? m : null);
        Assert.False(Has(messages, "agent"));
        Assert.Contains("agent's daily token cap (10) would be crossed",
            messages.Single(m => m.GetProperty("role").GetString() == "system").GetProperty("text").GetString(), StringComparison.Ordinal);
        var audit = Assert.Single((await owner.GetFromJsonAsync<JsonElement>("/api/audit?action=agent.turn_refused")).GetProperty("entries").EnumerateArray());
        Assert.Equal("agent:" + agentId, audit.GetProperty("target").GetString());
        var usage = Assert.Single((await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("lines").EnumerateArray());
        Assert.Equal((0, 1), (usage.GetProperty("turns").GetInt64(), usage.GetProperty("refusedTurns").GetInt64()));
        var sent = await app.CreateClient().GetFromJsonAsync<JsonElement>("/simulate/sent-sms");
        Assert.DoesNotContain(sent.EnumerateArray(), s => s.GetProperty("to").GetString() == customer);
    }
}
