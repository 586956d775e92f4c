using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;
using static Hiroi.Tests.Agents.AgentBodies;

namespace Hiroi.Tests.Agents;

/// <summary>
/// The agent loop as <c>./run</c> runs it: the built self-host process, its ACS simulator and Durable engine on Azurite,
/// the local model calling a tool on a tenant's own endpoint with an org secret; with every log, trace and metric the
/// process writes (console exporter on, HTTP and AI logging at Trace) searched for the secret afterwards.
/// </summary>
public sealed class AgentLoopTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string SecretValue = "sk_live_9QeT-agent-loop-secret-51c0";
    private const string WebhookSecret = "agent-loop-webhook-secret";
    private readonly ToolEndpoint _endpoint = new();
    private readonly List<string> _responses = [];

    public Task InitializeAsync() => _endpoint.InitializeAsync();

    public Task DisposeAsync() => _endpoint.DisposeAsync();

    private async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        var text = await client.GetStringAsync(path);
        _responses.Add(text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement[]> MessagesAsync(HttpClient admin, string customer)
    {
        var conversation = (await GetAsync(admin, "/api/conversations")).EnumerateArray().FirstOrDefault(c => c.GetProperty("customerNumber").GetString() == customer);
        return conversation.ValueKind == JsonValueKind.Undefined
            ? []
            : [.. (await GetAsync(admin, $"/api/conversations/{conversation.GetProperty("id").GetString()}/messages")).EnumerateArray()];
    }

    [Fact]
    public async Task A_tool_call_carries_the_secret_to_the_tenant_and_nowhere_else_one_reply_per_message_and_none_after_stop()
    {
        using var host = new SelfHostProcess(new Dictionary<string, string>
        {
            ["Hiroi__Telemetry__Console"] = "true",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__System.Net.Http"] = "Trace",
            ["Logging__LogLevel__Microsoft.Extensions.AI"] = "Trace",
            ["Hiroi__EventGrid__WebhookSecret"] = WebhookSecret,
        });
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Loop", "--owner", "loop@example.com", "--json")).RootElement;
        await host.StartAsync();
        using var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
        const string number = "+15550601001";
        (await admin.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        _responses.Add(await (await admin.PutAsJsonAsync("/api/secrets/SHOP_TOKEN", new { value = SecretValue })).EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        // The tenant's endpoint echoes what it got, as a careless server would: the model must still not see the secret.
        var tool = Tool(new Uri(_endpoint.BaseAddress, "/echo").ToString(), new() { ["Authorization"] = "Bearer {{secrets.SHOP_TOKEN}}" },
            body: new { order = "{{args.orderId}}" }, method: "POST");
        _responses.Add(await (await admin.PostAsJsonAsync("/api/agents", Agent(tools: [tool], numbers: [number]))).EnsureSuccessStatusCode().Content.ReadAsStringAsync());

        // One customer message, delivered three times (Event Grid's at-least-once): one reply.
        const string customer = "+15550602001";
        var delivered = "Incoming_" + Guid.NewGuid().ToString("N");
        var delivery = AcsEvents.Batch(AcsEvents.SmsReceived(customer, number, "#tool lookup {\"orderId\":\"A-17\"}", delivered, receivedAt: DateTimeOffset.UtcNow.ToString("O")));
        using var webhook = new HttpClient { BaseAddress = host.BaseAddress };
        webhook.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", WebhookSecret);
        for (var i = 0; i < 3; i++)
        {
            (await webhook.PostAsync("/api/eventgrid/acs", new StringContent(delivery, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        }

        // STOP from another customer, then a question: no agent reply to either.
        const string stopper = "+15550602002";
        (await admin.PostAsJsonAsync("/simulate/sms", new { from = stopper, to = number, message = "STOP" })).EnsureSuccessStatusCode();
        await WaitAsync(async () => (await GetAsync(admin, "/api/optouts")).GetArrayLength() == 1);
        (await admin.PostAsJsonAsync("/simulate/sms", new { from = stopper, to = number, message = "#tool lookup {\"orderId\":\"B-2\"}" })).EnsureSuccessStatusCode();

        try
        {
            await WaitAsync(async () => (await MessagesAsync(admin, customer)).Any(m => Role(m) == "agent"));
        }
        catch (TimeoutException)
        {
            output.WriteLine(string.Join('\n', host.Output.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase)
                || l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception", StringComparison.Ordinal)).TakeLast(80)));
            throw;
        }

        // The turns of both questions have ended (only a turn replies, once per message): no reply to either can come now.
        var turns = new AgentTurnRepository(new HiroiTables(new TableServiceClient(TestStorage.ConnectionString), Options.Create(new StorageOptions { Prefix = host.Prefix })));
        var org = OrgId.TryParse(created.GetProperty("orgId").GetString(), out var id) ? id : throw new InvalidOperationException("The CLI printed no org id.");
        var question = await WaitAsync(async () => AgentTurns.CustomerMessageIds(await MessagesAsync(admin, stopper)).SingleOrDefault()); // STOP itself is not kept as a message
        Assert.Equal(TurnStates.Skipped, (await AgentTurns.EndedAsync(turns, org, question)).State);
        Assert.Equal(TurnStates.Replied, (await AgentTurns.EndedAsync(turns, org, delivered)).State);

        var replies = (await MessagesAsync(admin, customer)).Where(m => Role(m) == "agent").ToList();
        var reply = Assert.Single(replies).GetProperty("text").GetString()!;
        output.WriteLine(reply);
        Assert.StartsWith("lookup answered:", reply, StringComparison.Ordinal);
        Assert.Contains("[secret SHOP_TOKEN]", reply, StringComparison.Ordinal);
        Assert.DoesNotContain(await MessagesAsync(admin, stopper), m => Role(m) == "agent");
        var call = Assert.Single(_endpoint.Calls);
        Assert.Equal("Bearer " + SecretValue, call.Authorization);
        Assert.Equal("""{"order":"A-17"}""", call.Body);

        // Everything the run produced: API answers, the audit trail, usage, the simulator's record, the process's logs and traces, storage.
        var audit = await GetAsync(admin, "/api/audit?pageSize=200");
        Assert.Contains(audit.GetProperty("entries").EnumerateArray(), e => e.GetProperty("action").GetString() == "secret.used");
        await GetAsync(admin, "/api/usage");
        await GetAsync(admin, "/api/secrets");
        await GetAsync(admin, "/simulate/sent-sms");
        var logs = host.Output;
        Assert.Contains(logs, l => l.Contains("Activity.TraceId", StringComparison.Ordinal)); // the traces were written, so they were searched
        Assert.Contains(logs, l => l.Contains(_endpoint.BaseAddress.Authority, StringComparison.Ordinal)); // so was the tool call's own trail
        Assert.DoesNotContain(_responses, r => r.Contains(SecretValue, StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains(SecretValue, StringComparison.Ordinal));
        Assert.Empty(await StorageScan.FindAsync(TestStorage.ConnectionString, host.Prefix, SecretValue));
    }

    private static string? Role(JsonElement message) => message.TryGetProperty("role", out var role) ? role.GetString() : null;

    private static Task WaitAsync(Func<Task<bool>> condition) => Waits.UntilAsync(condition, "the agent loop to settle");

    private static Task<T> WaitAsync<T>(Func<Task<T?>> probe) where T : class => Waits.UntilAsync(probe, "the agent loop to settle");
}
