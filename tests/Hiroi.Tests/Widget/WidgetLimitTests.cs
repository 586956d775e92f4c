using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Widget;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Widget;

/// <summary>
/// The widget's limits under concurrency: sessions per key and per visitor, messages per session, a solved challenge and
/// a signed token's jti are each taken in one conditional write before the work they guard, so N requests fired at once
/// against a limit L get exactly L through and the rest write nothing.
/// </summary>
public class WidgetLimitTests(ClockedApp app) : IClassFixture<ClockedApp>
{
    private const string Site = "https://shop.example.com";

    private async Task<(HttpClient Owner, OrgId Org, string KeyId, JsonElement Key)> KeyAsync(object? limits = null, string mode = "origin", object[]? tools = null)
    {
        var created = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(created.OwnerApiKey);
        var agent = await (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent(tools: tools))).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var body = new Dictionary<string, object?>
        {
            ["name"] = "Shop", ["environment"] = "prod", ["mode"] = mode, ["origins"] = new[] { Site }, ["agentId"] = agent.GetProperty("id").GetString(),
        };
        foreach (var property in limits?.GetType().GetProperties() ?? [])
        {
            body[char.ToLowerInvariant(property.Name[0]) + property.Name[1..]] = property.GetValue(limits);
        }

        var key = await (await owner.PostAsJsonAsync("/api/widget-keys", body)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        return (owner, created.OrgId, key.GetProperty("id").GetString()!, key);
    }

    private WidgetClient Client(string keyId, string? origin = Site) => new(app.CreateClient(), keyId, origin);

    private static string SessionId(WidgetClient client) => client.Session![4..client.Session!.IndexOf('.', StringComparison.Ordinal)];

    private async Task<List<WidgetSessionEntity>> SessionsAsync(OrgId org, string keyId) =>
        [.. await app.Services.GetRequiredService<WidgetSessionRepository>().LiveAsync(org, keyId, app.Clock.GetUtcNow(), TimeSpan.FromMinutes(2), default)];

    [Fact]
    public async Task Thirty_concurrent_opens_make_only_the_keys_two_sessions()
    {
        var (_, org, keyId, _) = await KeyAsync(new { MaxSessions = 2, MaxSessionsPerVisitor = 1 });

        var answers = await Concurrently.RunAsync(30, i => Client(keyId).OpenAsync($"visitor-{i:D4}"));

        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(28, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.Equal(2, (await SessionsAsync(org, keyId)).Count);
    }

    [Fact]
    public async Task Thirty_concurrent_opens_by_one_visitor_make_only_their_one_session()
    {
        var (_, org, keyId, _) = await KeyAsync(new { MaxSessions = 100, MaxSessionsPerVisitor = 1 });

        var answers = await Concurrently.RunAsync(30, _ => Client(keyId).OpenAsync("visitor-same"));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Single(await SessionsAsync(org, keyId));
    }

    [Fact]
    public async Task Twenty_concurrent_messages_run_only_the_sessions_five_turns_and_keep_every_line()
    {
        var (owner, org, keyId, _) = await KeyAsync(new { MessagesPerSession = 5 });
        var widget = Client(keyId);
        (await widget.OpenAsync()).EnsureSuccessStatusCode();

        var answers = await Concurrently.RunAsync(20, i => widget.PostAsync("messages", new { text = $"message {i}" }));

        var answered = Enumerable.Range(0, 20).Where(i => answers[i].StatusCode == HttpStatusCode.OK).ToList();
        Assert.Equal(5, answered.Count);
        // The first over the quota is 429 and ends the session; any that reach it after find it ended (410).
        Assert.Equal(15, answers.Count(a => a.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.Gone));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var lines = await app.Services.GetRequiredService<WidgetMessageRepository>().InSessionAsync(org, SessionId(widget), default).ToListAsync();
        Assert.Equal(10, lines.Select(l => l.RowKey).Distinct().Count());
        Assert.Equal(answered.Select(i => $"message {i}").Order(), lines.Where(l => l.Role == "visitor").Select(l => l.Text).Order());
        var report = (await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("channel").GetString() == "web");
        Assert.Equal(5, report.GetProperty("turns").GetInt64()); // the model ran five times, no more
    }

    [Fact]
    public async Task Thirty_concurrent_messages_on_one_key_are_all_answered()
    {
        var (_, _, keyId, _) = await KeyAsync(new { MaxSessions = 100, MaxSessionsPerVisitor = 1 });
        var widgets = new List<WidgetClient>();
        for (var i = 0; i < 30; i++)
        {
            var widget = Client(keyId);
            (await widget.OpenAsync($"visitor-{i:D4}")).EnsureSuccessStatusCode();
            widgets.Add(widget);
        }

        var answers = await Concurrently.RunAsync(30, i => widgets[i].PostAsync("messages", new { text = "hello" }));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
    }

    [Fact]
    public async Task A_heartbeat_while_a_message_is_being_answered_does_not_cost_the_message_its_reply()
    {
        await using var tool = await HeldTool.StartAsync();
        var (_, _, keyId, _) = await KeyAsync(tools: [Agents.AgentBodies.Tool(new Uri(tool.BaseAddress, "/orders/{{args.orderId}}").ToString())]);
        var widget = Client(keyId);
        (await widget.OpenAsync()).EnsureSuccessStatusCode();

        var message = widget.PostAsync("messages", new { text = """#tool lookup {"orderId":"A-17"}""" });
        await tool.Called.Task.WaitAsync(Waits.Ceiling); // the turn is under way, waiting on its tool
        Assert.Equal(HttpStatusCode.OK, (await widget.PostAsync("heartbeat")).StatusCode);
        tool.Release.SetResult();

        var answer = await message;
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        Assert.Contains("lookup answered", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_solved_challenge_opens_one_session()
    {
        var (_, org, keyId, _) = await KeyAsync();
        var challenge = await (await Client(keyId).PostAsync("challenge")).Content.ReadFromJsonAsync<JsonElement>();
        var text = challenge.GetProperty("challenge").GetString()!;
        var solution = WidgetClient.Solve(text, challenge.GetProperty("bits").GetInt32());

        var answers = await Concurrently.RunAsync(20, i => Client(keyId).PostAsync("sessions", new { visitorId = $"visitor-{i:D4}", challenge = text, solution }));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(19, answers.Count(a => a.StatusCode == HttpStatusCode.Forbidden));
        Assert.Single(await SessionsAsync(org, keyId));
    }

    [Fact]
    public async Task A_signed_token_refused_for_a_full_key_still_opens_a_session_once_there_is_room()
    {
        var (_, _, keyId, key) = await KeyAsync(new { MaxSessions = 1 }, mode: "signed");
        var signing = key.GetProperty("signingSecret");
        var (kid, secret) = (signing.GetProperty("kid").GetString()!, Base64Url.DecodeFromChars(signing.GetProperty("secret").GetString()));
        var now = app.Clock.GetUtcNow();
        string Mint(string visitor, string jti) => WidgetTokens.Mint(secret, kid, keyId, visitor, now, now.AddMinutes(5), jti);
        var first = Client(keyId);
        Assert.Equal(HttpStatusCode.Created, (await first.OpenAsync(null, Mint("customer-1", "jti-first"))).StatusCode);
        var waiting = Mint("customer-2", "jti-waiting");

        Assert.Equal(HttpStatusCode.TooManyRequests, (await Client(keyId).OpenAsync(null, waiting)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await first.PostAsync("end")).StatusCode);

        var second = Client(keyId);
        Assert.Equal(HttpStatusCode.Created, (await second.OpenAsync(null, waiting)).StatusCode); // the 429 did not use it up
        Assert.Equal(HttpStatusCode.NoContent, (await second.PostAsync("end")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(keyId).OpenAsync(null, waiting)).StatusCode); // now it is used
    }

    [Fact]
    public async Task Twenty_concurrent_opens_with_one_signed_token_open_one_session()
    {
        var (_, org, keyId, key) = await KeyAsync(mode: "signed");
        var signing = key.GetProperty("signingSecret");
        var (kid, secret) = (signing.GetProperty("kid").GetString()!, Base64Url.DecodeFromChars(signing.GetProperty("secret").GetString()));
        var now = app.Clock.GetUtcNow();
        var token = WidgetTokens.Mint(secret, kid, keyId, "customer-1", now, now.AddMinutes(5), "jti-once");

        var answers = await Concurrently.RunAsync(20, _ => Client(keyId).OpenAsync(null, token));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        // The rest are refused: as a used token (401), or by the visitor's session limit before the token is spent (429).
        Assert.Equal(19, answers.Count(a => a.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests));
        Assert.Single(await SessionsAsync(org, keyId));
    }

    [Fact]
    public async Task Pages_on_other_origins_are_counted_apart_from_the_keys_cap_counters()
    {
        var (owner, org, keyId, _) = await KeyAsync();

        await Concurrently.RunAsync(10, _ => Client(keyId, "https://evil.example.com").PostAsync("sessions", new { visitorId = "visitor-0001" }));

        var usage = await app.Services.GetRequiredService<HiroiTables>().GetAsync(TableNames.AgentUsage, default);
        var capRow = await usage.GetEntityIfExistsAsync<TableEntity>(org.Value, UsageRows.ScopeDay(UsageRows.Day(app.Clock.GetUtcNow()), keyId));
        Assert.False(capRow.HasValue); // nothing a stranger sends writes the row every turn of the key reserves against
        Assert.Equal(10, (await owner.GetFromJsonAsync<JsonElement>($"/api/widget-keys/{keyId}")).GetProperty("usage").GetProperty("refusedOrigins").GetInt64());
    }

    /// <summary>A tenant's tool endpoint on loopback that holds its first call until the test lets it answer.</summary>
    private sealed class HeldTool : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private HeldTool(WebApplication app) => _app = app;

        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Uri BaseAddress => new(_app.Urls.First());

        public static async Task<HeldTool> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var tool = new HeldTool(builder.Build());
            tool._app.Run(async context =>
            {
                tool.Called.TrySetResult();
                await tool.Release.Task.WaitAsync(context.RequestAborted);
                await context.Response.WriteAsJsonAsync(new { status = "shipped" });
            });
            await tool._app.StartAsync();
            return tool;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
