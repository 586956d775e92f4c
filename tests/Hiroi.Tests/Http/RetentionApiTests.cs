using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Http;

public class RetentionApiTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private static async Task<JsonElement> DaysAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/api/retention")).RootElement.GetProperty("days").Clone();

    [Fact]
    public async Task Periods_default_to_ninety_days_change_within_bounds_and_are_audited()
    {
        var org = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(org.OwnerApiKey);
        var other = app.ClientWithKey((await app.CreateOrgAsync()).OwnerApiKey);
        Assert.All((await DaysAsync(owner)).EnumerateObject(), p => Assert.Equal(90, p.Value.GetInt32()));

        var changed = await owner.PutAsJsonAsync("/api/retention", new Dictionary<string, int> { ["messages"] = 30, ["recordings"] = 7 });

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var days = await DaysAsync(owner);
        Assert.Equal(30, days.GetProperty("messages").GetInt32());
        Assert.Equal(7, days.GetProperty("recordings").GetInt32());
        Assert.Equal(90, days.GetProperty("calls").GetInt32());
        Assert.Equal(90, (await DaysAsync(other)).GetProperty("messages").GetInt32()); // another org keeps its own
        var audit = JsonDocument.Parse(await owner.GetStringAsync("/api/audit?action=retention.changed")).RootElement.GetProperty("entries");
        Assert.Equal("messages=30d recordings=7d", Assert.Single(audit.EnumerateArray()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Periods_out_of_bounds_or_of_unknown_kinds_are_400_and_change_nothing()
    {
        var org = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(org.OwnerApiKey);

        var problem = await ProblemAssert.IsProblemAsync(
            await owner.PutAsJsonAsync("/api/retention", new Dictionary<string, int> { ["messages"] = 0, ["calls"] = 40_000, ["emails"] = 5, ["recordings"] = 10 }),
            HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order();
        Assert.Equal(["calls", "emails", "messages"], errors);
        Assert.All((await DaysAsync(owner)).EnumerateObject(), p => Assert.Equal(90, p.Value.GetInt32()));
        await ProblemAssert.IsProblemAsync(await owner.PutAsync("/api/retention", new StringContent("[1,2]", System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest);
        var member = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/api-keys", new { name = "m", role = "member" })).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWithKey(member.GetProperty("key").GetString()!).GetAsync("/api/retention")).StatusCode);
    }
}
