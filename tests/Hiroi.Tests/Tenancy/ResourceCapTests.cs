using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Tenancy;

/// <summary>
/// An org's count caps (agents, secrets, widget keys) hold under concurrency: creates fired at once when only a few
/// slots are left get exactly those slots, and the rest are 409 and store nothing.
/// </summary>
public class ResourceCapTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private async Task<HttpClient> OwnerAsync() => app.ClientWithKey((await app.CreateOrgAsync()).OwnerApiKey);

    [Fact]
    public async Task Thirty_concurrent_agents_with_ten_slots_left_make_exactly_ten()
    {
        using var owner = await OwnerAsync();
        for (var i = 0; i < 40; i++)
        {
            (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent($"Agent {i}"))).EnsureSuccessStatusCode();
        }

        var answers = await Concurrently.RunAsync(30, i => owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent($"Late {i}")));

        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(20, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(50, (await owner.GetFromJsonAsync<JsonElement>("/api/agents")).GetArrayLength());

        // A deleted agent gives its slot back.
        var one = (await owner.GetFromJsonAsync<JsonElement>("/api/agents"))[0].GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/agents/{one}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent("Again"))).StatusCode);
    }

    [Fact]
    public async Task Thirty_concurrent_secrets_with_ten_slots_left_make_exactly_ten()
    {
        using var owner = await OwnerAsync();
        for (var i = 0; i < 90; i++)
        {
            (await owner.PutAsJsonAsync($"/api/secrets/S{i}", new { value = "v" })).EnsureSuccessStatusCode();
        }

        var answers = await Concurrently.RunAsync(30, i => owner.PutAsJsonAsync($"/api/secrets/LATE_{i}", new { value = "v" }));

        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(20, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(100, (await owner.GetFromJsonAsync<JsonElement>("/api/secrets")).GetProperty("secrets").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await owner.PutAsJsonAsync("/api/secrets/S0", new { value = "replaced" })).StatusCode); // a replacement needs no slot
    }

    [Fact]
    public async Task Thirty_concurrent_widget_keys_with_ten_slots_left_make_exactly_ten()
    {
        using var owner = await OwnerAsync();
        var agent = (await (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent())).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        object Key(string name) => new { name, environment = "prod", mode = "origin", origins = new[] { "https://shop.example.com" }, agentId = agent };
        for (var i = 0; i < 40; i++)
        {
            (await owner.PostAsJsonAsync("/api/widget-keys", Key($"Site {i}"))).EnsureSuccessStatusCode();
        }

        var answers = await Concurrently.RunAsync(30, i => owner.PostAsJsonAsync("/api/widget-keys", Key($"Late {i}")));

        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(20, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(50, (await owner.GetFromJsonAsync<JsonElement>("/api/widget-keys")).GetArrayLength());

        // A revoked key no longer holds a slot (its row stays, so its id is never used again).
        var one = (await owner.GetFromJsonAsync<JsonElement>("/api/widget-keys"))[0].GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/widget-keys/{one}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync("/api/widget-keys", Key("Again"))).StatusCode);
    }
}
