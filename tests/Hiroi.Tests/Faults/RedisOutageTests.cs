using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Hiroi.Tests.Faults;

/// <summary>
/// Redis (a Garnet of the test's own) frozen or stopped under running self-hosts: requests go on being served quickly,
/// limits hold per instance, and a key revoked meanwhile is refused by every instance.
/// </summary>
[Lane(Lanes.Fault)]
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> Settings(OwnGarnet garnet) => new()
    {
        ["Hiroi__Redis__Connection"] = garnet.Connection,
        ["Hiroi__RateLimits__Enabled"] = "true",
        ["Hiroi__RateLimits__PerCredentialPerMinute"] = "8",
        ["Hiroi__RateLimits__AnonymousPerIpPerMinute"] = "100000",
        ["Hiroi__RateLimits__WebhookPerIpPerMinute"] = "100000",
        // Cached keys are trusted for ten minutes (the most allowed): a refusal within the test is not the cache running out.
        ["Hiroi__ApiKeys__CacheSeconds"] = "600",
    };

    [Theory]
    [InlineData("frozen")]
    [InlineData("stopped")]
    public async Task While_Redis_is_down_the_webhook_the_api_and_the_widget_answer_quickly_and_a_limit_still_refuses_past_its_count(string outage)
    {
        using var garnet = new OwnGarnet();
        await garnet.StartAsync();
        using var host = new SelfHostProcess(Settings(garnet));
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Redis " + outage, "--owner", $"redis-{outage}@example.com", "--json")).RootElement;
        await host.StartAsync();
        using var owner = Client(host, created.GetProperty("apiKey").GetString()!);
        using var spare = Client(host, (await NewKeyAsync(owner)).GetProperty("key").GetString()!);
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        using var webhook = Webhook(host);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/api/orgs/current")).StatusCode); // verified and cached
        Assert.Equal(HttpStatusCode.OK, (await spare.GetAsync("/api/orgs/current")).StatusCode); // (counted in Redis, not below)

        if (outage == "frozen")
        {
            garnet.Freeze();
        }
        else
        {
            garnet.Stop();
        }

        try
        {
            var slowest = TimeSpan.Zero;
            async Task<HttpStatusCode> TimedAsync(Func<Task<HttpResponseMessage>> send)
            {
                var watch = Stopwatch.StartNew();
                using var response = await send();
                slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                return response.StatusCode;
            }

            for (var round = 0; round < 3; round++)
            {
                Assert.Equal(HttpStatusCode.OK, await TimedAsync(() => webhook.PostAsync("/api/eventgrid/acs", Json(AcsEvents.ValidationEvent("c" + round)))));
                Assert.Equal(HttpStatusCode.OK, await TimedAsync(() => owner.GetAsync("/api/orgs/current")));
                Assert.Equal(HttpStatusCode.OK, await TimedAsync(() => anonymous.GetAsync("/widget/v1/embed.js")));
                var widget = await TimedAsync(() => anonymous.PostAsync("/widget/v1/keys/wk_unknown/sessions", Json("{}")));
                Assert.True((int)widget is >= 400 and < 500, $"The widget answered {widget}: a refusal of its own, not a dependency's");
            }

            // The credential limit (8 a minute) holds in this instance alone: 8 answered, then 429.
            var answers = new List<HttpStatusCode>();
            for (var i = 0; i < 9; i++)
            {
                answers.Add(await TimedAsync(() => spare.GetAsync("/api/orgs/current")));
            }

            Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 8), HttpStatusCode.TooManyRequests], answers);
            // A figure for the closing note, never asserted (the suite passes on a saturated machine): the answers above are
            // what failed before (503 after about 6 s).
            output.WriteLine($"Redis {outage}: slowest of 21 requests {slowest.TotalMilliseconds:0} ms");
        }
        finally
        {
            if (outage == "frozen")
            {
                garnet.Thaw();
            }
        }
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_while_Redis_is_stopped_is_refused_by_the_other_and_revocations_travel_again_once_it_is_back()
    {
        using var garnet = new OwnGarnet();
        await garnet.StartAsync();
        using var first = new SelfHostProcess(Settings(garnet));
        using var second = new SelfHostProcess(new Dictionary<string, string>(Settings(garnet)) { ["Hiroi__Storage__Prefix"] = first.Prefix });
        var created = JsonDocument.Parse(await first.CliAsync("org", "create", "Two", "--owner", "redis-two@example.com", "--json")).RootElement;
        await Task.WhenAll(first.StartAsync(), second.StartAsync());
        var ownerKey = created.GetProperty("apiKey").GetString()!;
        using var ownerOnFirst = Client(first, ownerKey);
        using var ownerOnSecond = Client(second, ownerKey);
        var doomed = await NewKeyAsync(ownerOnFirst);
        using var doomedOnSecond = Client(second, doomed.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await doomedOnSecond.GetAsync("/api/orgs/current")).StatusCode); // cached on the second

        garnet.Stop();
        Assert.Equal(HttpStatusCode.NoContent, (await ownerOnFirst.DeleteAsync("/api/api-keys/" + doomed.GetProperty("id").GetString())).StatusCode);
        await Waits.UntilAsync(async () => (await doomedOnSecond.GetAsync("/api/orgs/current")).StatusCode == HttpStatusCode.Unauthorized,
            "the second instance to refuse the key revoked on the first while Redis is down");

        await garnet.StartAsync();
        var back = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Unauthorized, (await doomedOnSecond.GetAsync("/api/orgs/current")).StatusCode);
        output.WriteLine($"Revoked key refused by the other instance {back.ElapsedMilliseconds} ms after Redis returned (and throughout the outage)");

        // The second counts in Redis again (its rate limit wrote the empty Garnet): it trusts its cache again from here.
        using var direct = await ConnectionMultiplexer.ConnectAsync(garnet.Connection);
        await Waits.UntilAsync(async () =>
        {
            // Served, or refused by its rate limit (8 a minute, which this poll may spend): either way counted again.
            Assert.Contains((await ownerOnSecond.GetAsync("/api/orgs/current")).StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests });
            return await direct.GetServer(direct.GetEndPoints()[0]).DatabaseSizeAsync() > 0;
        }, "the second instance to count in Redis again");
        var later = await NewKeyAsync(ownerOnFirst);
        using var laterOnSecond = Client(second, later.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await laterOnSecond.GetAsync("/api/orgs/current")).StatusCode); // cached, trusted for ten minutes
        var revoking = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.NoContent, (await ownerOnFirst.DeleteAsync("/api/api-keys/" + later.GetProperty("id").GetString())).StatusCode);
        await Waits.UntilAsync(async () => (await laterOnSecond.GetAsync("/api/orgs/current")).StatusCode == HttpStatusCode.Unauthorized,
            "the renewed subscription to carry a revocation to the second instance");
        // The key is cached for ten minutes, past the wait's ceiling: only the renewed subscription can have carried it.
        output.WriteLine($"After the outage a revocation reached the other instance in {revoking.ElapsedMilliseconds} ms");
    }

    private static async Task<JsonElement> NewKeyAsync(HttpClient owner) =>
        await (await owner.PostAsJsonAsync("/api/api-keys", new { name = "ci", role = "member" })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static HttpClient Webhook(SelfHostProcess host)
    {
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        client.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", "fault-test-secret");
        client.DefaultRequestHeaders.Add("aeg-event-type", "SubscriptionValidation");
        return client;
    }

    private static HttpClient Client(SelfHostProcess host, string key)
    {
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
