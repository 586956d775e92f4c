using System.Net.Http.Json;
using System.Text.Json;

namespace Hiroi.Tests.Infrastructure;

/// <summary>Resources of one org made through its owner's API, named by the route parameters that take their ids.</summary>
public static class OrgResources
{
    /// <summary>
    /// An org's own resources, for route walks: a number, a list, a campaign, an API key, a member, a do-not-contact
    /// entry, an org secret, an agent answering the number and a widget key for it. Returns the route parameter values that name them.
    /// </summary>
    public static async Task<Dictionary<string, string>> CreateAsync(HttpClient owner)
    {
        var number = Unique.PhoneNumber();
        (await owner.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        var list = await (await owner.PostAsJsonAsync("/api/lists", new { name = "Walk list" })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var listId = list.GetProperty("id").GetString()!;
        var campaignId = await CampaignApp.CampaignAsync(owner, listId, number);
        var key = await (await owner.PostAsJsonAsync("/api/api-keys", new { name = "Walk key", role = "member" })).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonElement>();
        var member = await (await owner.PostAsJsonAsync("/api/members", new { email = "a-member@example.com", role = "member" })).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonElement>();
        (await owner.PostAsJsonAsync("/api/dnc", new { number = "+12125550999" })).EnsureSuccessStatusCode();
        (await owner.PutAsJsonAsync("/api/secrets/WALK_SECRET", new { value = "walk-value" })).EnsureSuccessStatusCode();
        var agent = await (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent(numbers: [number]))).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonElement>();
        var widgetKey = await (await owner.PostAsJsonAsync("/api/widget-keys", new
        {
            name = "Walk site", environment = "prod", mode = "origin", origins = new[] { "https://walk.example.com" }, agentId = agent.GetProperty("id").GetString(),
        })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        return new(StringComparer.Ordinal)
        {
            ["number"] = Uri.EscapeDataString(number), ["listId"] = listId, ["campaignId"] = campaignId, ["keyId"] = key.GetProperty("id").GetString()!,
            ["memberId"] = member.GetProperty("id").GetString()!, ["callId"] = "call_0123456789abcdef", ["conversationId"] = "conv_0123456789abcdef",
            ["agentId"] = agent.GetProperty("id").GetString()!, ["name"] = "WALK_SECRET", ["widgetKeyId"] = widgetKey.GetProperty("id").GetString()!, ["action"] = "sessions",
        };
    }
}
