using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using static Hiroi.Tests.Agents.AgentBodies;

namespace Hiroi.Tests.Agents;

public class AgentApiTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private async Task<(HttpClient Owner, string Number)> OrgAsync()
    {
        var owner = app.ClientWithKey((await app.CreateOrgAsync()).OwnerApiKey);
        var number = Unique.PhoneNumber();
        (await owner.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        return (owner, number);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Admins_create_change_and_delete_agents_members_read_them_and_every_change_is_audited()
    {
        var (owner, number) = await OrgAsync();
        var tool = Tool("https://shop.example.com/orders/{{args.orderId}}", new() { ["Authorization"] = "Bearer {{secrets.SHOP_TOKEN}}" });

        var created = await owner.PostAsJsonAsync("/api/agents", Agent(tools: [tool], numbers: [number], dailyTokenCap: 5000));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = await JsonAsync(created);
        var id = agent.GetProperty("id").GetString()!;
        Assert.StartsWith("agt_", id, StringComparison.Ordinal);
        Assert.Equal(number, agent.GetProperty("numbers")[0].GetString());
        Assert.Equal("Bearer {{secrets.SHOP_TOKEN}}", agent.GetProperty("tools")[0].GetProperty("request").GetProperty("headers").GetProperty("Authorization").GetString());
        Assert.Equal(5000, agent.GetProperty("dailyTokenCap").GetInt64());

        var member = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/api-keys", new { name = "m", role = "member" })).Content.ReadAsStringAsync()).RootElement;
        var memberClient = app.ClientWithKey(member.GetProperty("key").GetString()!);
        Assert.Equal(id, (await memberClient.GetFromJsonAsync<JsonElement>($"/api/agents/{id}")).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await memberClient.PostAsJsonAsync("/api/agents", Agent())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await memberClient.DeleteAsync($"/api/agents/{id}")).StatusCode);

        var renamed = await owner.PutAsJsonAsync($"/api/agents/{id}", Agent(name: "Night desk"));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var after = await owner.GetFromJsonAsync<JsonElement>($"/api/agents/{id}");
        Assert.Equal("Night desk", after.GetProperty("name").GetString());
        Assert.Equal(0, after.GetProperty("numbers").GetArrayLength()); // a PUT replaces the whole definition

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/agents/{id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync($"/api/agents/{id}"), HttpStatusCode.NotFound);
        var audit = (await owner.GetFromJsonAsync<JsonElement>("/api/audit")).GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("target").GetString() == "agent:" + id).Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["agent.deleted", "agent.updated", "agent.created"], audit);
    }

    [Fact]
    public async Task Another_org_cannot_read_change_delete_or_bind_numbers_it_does_not_own()
    {
        var (owner, number) = await OrgAsync();
        var (other, _) = await OrgAsync();
        var id = (await JsonAsync(await owner.PostAsJsonAsync("/api/agents", Agent(numbers: [number])))).GetProperty("id").GetString()!;

        await ProblemAssert.IsProblemAsync(await other.GetAsync($"/api/agents/{id}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await other.PutAsJsonAsync($"/api/agents/{id}", Agent()), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await other.DeleteAsync($"/api/agents/{id}"), HttpStatusCode.NotFound);
        Assert.Equal(0, (await other.GetFromJsonAsync<JsonElement>("/api/agents")).GetArrayLength());
        var problem = await ProblemAssert.IsProblemAsync(await other.PostAsJsonAsync("/api/agents", Agent(numbers: [number])), HttpStatusCode.BadRequest);
        Assert.Contains("not a number registered to this org", problem.GetProperty("errors").GetProperty("numbers")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("Concierge", (await owner.GetFromJsonAsync<JsonElement>($"/api/agents/{id}")).GetProperty("name").GetString());
    }

    public static TheoryData<string, object> BadDefinitions => new()
    {
        { "model", Agent(model: "gpt-unknown") },
        { "tools[0].request.url", Tool("https://{{args.orderId}}.example.com/x") },
        { "tools[0].request.url", Tool("https://shop.example.com{{args.orderId}}") },
        { "tools[0].request.url", Tool("https://shop.example.com/orders?key={{secrets.SHOP_TOKEN}}") },
        { "tools[0].request.url", Tool("ftp://shop.example.com/orders/{{args.orderId}}") },
        { "tools[0].request.url", Tool("http://shop.example.com/orders/{{args.orderId}}") },
        { "tools[0].request.url", Tool("https://user:pw@shop.example.com/orders/{{args.orderId}}") },
        { "tools[0].request.headers.Authorization", Tool("https://shop.example.com/o", new() { ["Authorization"] = "Bearer {{secrets.org_0123456789abcdef.SHOP_TOKEN}}" }) },
        { "tools[0].request.headers.Authorization", Tool("https://shop.example.com/o", new() { ["Authorization"] = "Bearer {{secrets.../Other}}" }) },
        { "tools[0].request.headers.X-Key", Tool("https://shop.example.com/o", new() { ["X-Key"] = "{{env.PATH}}" }) },
        { "tools[0].request.headers", Tool("https://shop.example.com/o", new() { ["Host"] = "internal" }) },
        { "tools[0].request", Tool("https://shop.example.com/o/{{args.customerId}}") },
        { "tools[0].request.body", Tool("https://shop.example.com/o", body: new { id = "{{args.orderId}}" }, method: "GET") },
        { "tools[0].parameters", Tool("https://shop.example.com/o", parameters: new { type = "string" }) },
        { "tools[0].parameters", Tool("https://shop.example.com/o",
            parameters: new { type = "object", properties = new { a = new Dictionary<string, string> { ["$ref"] = "https://evil.example.com/schema.json" } } }) },
        // Patterns that only a backtracking engine can run (backreference, lookaround, atomic group) could take exponential time.
        { "tools[0].parameters", Tool("https://shop.example.com/o",
            parameters: new { type = "object", properties = new { a = new { type = "string", pattern = "^(a+)\\1$" } } }) },
        { "tools[0].parameters", Tool("https://shop.example.com/o",
            parameters: new { type = "object", properties = new { a = new { type = "string", pattern = "^(?=a)(a|aa)+$" } } }) },
        { "tools[0].parameters", Tool("https://shop.example.com/o",
            parameters: new { type = "object", properties = new { a = new { type = "string", pattern = "(?>a+)b" } } }) },
        { "tools[0].parameters", Tool("https://shop.example.com/o",
            parameters: new { type = "object", patternProperties = new Dictionary<string, object> { ["^(a|a)*\\1$"] = new { type = "string" } } }) },
        { "tools[0].name", Tool("https://shop.example.com/o", name: "look up!") },
        { "tools[1].name", new { name = "Twins", instructions = "x", model = "local", tools = new[] { Tool("https://a.example.com/o"), Tool("https://b.example.com/o") } } },
        { "name", new { name = "Bad\u202Ename", instructions = "x", model = "local" } },
        { "instructions", new { name = "Quiet", instructions = "", model = "local" } },
        { "dailyTokenCap", new { name = "Capped", instructions = "x", model = "local", dailyTokenCap = -1 } },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public async Task Bad_definitions_are_400_naming_the_field_and_store_nothing(string field, object definition)
    {
        var (owner, _) = await OrgAsync();
        var body = definition.GetType().GetProperty("request") is not null ? Agent(tools: [definition]) : definition;

        var problem = await ProblemAssert.IsProblemAsync(await owner.PostAsJsonAsync("/api/agents", body), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {problem}");
        Assert.Equal(0, (await owner.GetFromJsonAsync<JsonElement>("/api/agents")).GetArrayLength());
    }

    [Fact]
    public async Task A_number_is_answered_by_one_agent_only()
    {
        var (owner, number) = await OrgAsync();
        (await owner.PostAsJsonAsync("/api/agents", Agent(numbers: [number]))).EnsureSuccessStatusCode();

        var problem = await ProblemAssert.IsProblemAsync(await owner.PostAsJsonAsync("/api/agents", Agent(name: "Second", numbers: [number])), HttpStatusCode.BadRequest);

        Assert.Contains("already answered by agent", problem.GetProperty("errors").GetProperty("numbers")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_caps_are_set_by_admins_within_bounds_and_audited()
    {
        var (owner, _) = await OrgAsync();
        Assert.Equal(1_000_000, (await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("caps").GetProperty("dailyTokenCap").GetInt64());

        var set = await owner.PutAsJsonAsync("/api/usage/caps", new { dailyTokenCap = 5000, dailyCostCapUsd = 1.5m });

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var usage = await owner.GetFromJsonAsync<JsonElement>("/api/usage");
        Assert.Equal(5000, usage.GetProperty("caps").GetProperty("dailyTokenCap").GetInt64());
        Assert.Equal(1.5m, usage.GetProperty("caps").GetProperty("dailyCostCapUsd").GetDecimal());
        Assert.Single((await owner.GetFromJsonAsync<JsonElement>("/api/audit?action=usage.caps_changed")).GetProperty("entries").EnumerateArray());
        await ProblemAssert.IsProblemAsync(await owner.PutAsJsonAsync("/api/usage/caps", new { dailyTokenCap = 0, dailyCostCapUsd = 1 }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await owner.PutAsJsonAsync("/api/usage/caps", new { dailyTokenCap = 10, dailyCostCapUsd = 1_000_000 }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync("/api/usage?from=2026-01-01&to=2026-12-31"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync("/api/usage?from=yesterday"), HttpStatusCode.BadRequest);
        Assert.Equal(5000, (await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("caps").GetProperty("dailyTokenCap").GetInt64());
    }
}
