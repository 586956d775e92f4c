using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Http;

public class AuditApiTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private static async Task<JsonElement> PageAsync(HttpClient client, string query) =>
        JsonDocument.Parse(await client.GetStringAsync("/api/audit" + query)).RootElement.Clone();

    [Fact]
    public async Task Admins_page_through_their_orgs_trail_newest_first_by_action_actor_and_time()
    {
        var org = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(org.OwnerApiKey);
        var before = DateTimeOffset.UtcNow;
        (await owner.PostAsJsonAsync("/api/dnc", new { number = "+12125550111" })).EnsureSuccessStatusCode();
        (await owner.PostAsJsonAsync("/api/dnc", new { number = "+12125550112" })).EnsureSuccessStatusCode();
        (await owner.PostAsJsonAsync("/api/api-keys", new { name = "ci", role = "member" })).EnsureSuccessStatusCode();
        var other = await app.CreateOrgAsync();
        (await app.ClientWithKey(other.OwnerApiKey).PostAsJsonAsync("/api/dnc", new { number = "+12125550113" })).EnsureSuccessStatusCode();

        var all = (await PageAsync(owner, "")).GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["apikey.created", "dnc.added", "dnc.added"], all.Take(3).Select(e => e.GetProperty("action").GetString()));
        Assert.Equal("org.created", all[^1].GetProperty("action").GetString()); // the bootstrap's own entries come first in time
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.GetProperty("at").GetDateTimeOffset() >= p.Second.GetProperty("at").GetDateTimeOffset()));
        Assert.DoesNotContain(all, e => e.GetProperty("target").GetString()!.Contains("5550113", StringComparison.Ordinal));

        var dnc = (await PageAsync(owner, "?action=dnc.added")).GetProperty("entries");
        Assert.Equal(2, dnc.GetArrayLength());
        var actor = all[0].GetProperty("actor").GetString();
        Assert.Equal(3, (await PageAsync(owner, "?actor=" + Uri.EscapeDataString(actor!))).GetProperty("entries").GetArrayLength());
        var since = (await PageAsync(owner, "?from=" + Uri.EscapeDataString(before.ToString("O")))).GetProperty("entries");
        Assert.Equal(3, since.GetArrayLength());
        Assert.Equal(0, (await PageAsync(owner, "?to=" + Uri.EscapeDataString(before.AddDays(-1).ToString("O")))).GetProperty("entries").GetArrayLength());

        var first = await PageAsync(owner, "?pageSize=3");
        Assert.Equal(3, first.GetProperty("entries").GetArrayLength());
        var second = await PageAsync(owner, "?pageSize=3&next=" + Uri.EscapeDataString(first.GetProperty("next").GetString()!));
        Assert.Equal(all.Skip(3).Select(e => e.GetProperty("action").GetString()), second.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Members_cannot_read_the_trail_and_bad_queries_are_400()
    {
        var org = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(org.OwnerApiKey);
        var created = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/api-keys", new { name = "m", role = "member" })).Content.ReadAsStringAsync()).RootElement;
        var member = app.ClientWithKey(created.GetProperty("key").GetString()!);

        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/api/audit")).StatusCode);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync("/api/audit?pageSize=0"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync("/api/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync("/api/audit?from=yesterday"), HttpStatusCode.BadRequest);
    }
}
