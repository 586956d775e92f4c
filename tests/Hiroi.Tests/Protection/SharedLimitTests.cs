using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.RateLimiting;
using Hiroi.Shared.Redis;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.Protection;

/// <summary>Limits, failure counts and revocations shared through a real Redis-protocol server (Garnet, started by ./test).</summary>
public class SharedLimitTests
{
    private static RedisConnection Redis() => new(Options.Create(new RedisOptions { Connection = TestRedis.Connection }));

    [Fact]
    public async Task Two_instances_counters_count_together_and_a_new_window_starts_at_zero()
    {
        using var redisA = Redis();
        using var redisB = Redis();
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 1, 1, 0, 0, 10, TimeSpan.Zero));
        var a = new RedisLimitCounter(redisA, time);
        var b = new RedisLimitCounter(redisB, time);
        var subject = "test:" + Guid.NewGuid().ToString("N");
        var window = TimeSpan.FromMinutes(15);

        Assert.True((await a.TakeAsync(subject, window, 3, default)).Taken);
        Assert.True((await b.TakeAsync(subject, window, 3, default)).Taken);
        var third = await a.TakeAsync(subject, window, 3, default);
        var fourth = await b.TakeAsync(subject, window, 3, default);

        Assert.True(third.Taken);
        Assert.False(fourth.Taken);
        Assert.Equal(new DateTimeOffset(2031, 1, 1, 0, 15, 0, TimeSpan.Zero), fourth.WindowEnds);
        time.Advance(window);
        Assert.True((await b.TakeAsync(subject, window, 1, default)).Taken);
    }

    [Fact]
    public async Task Two_self_host_processes_hold_one_limit_together_and_a_revocation_on_one_reaches_the_other()
    {
        var shared = new Dictionary<string, string>
        {
            ["Hiroi__Redis__Connection"] = TestRedis.Connection,
            ["Hiroi__RateLimits__Enabled"] = "true",
            ["Hiroi__RateLimits__PerCredentialPerMinute"] = "10",
            ["Hiroi__RateLimits__AnonymousPerIpPerMinute"] = "100000",
            // Cached keys are trusted for ten minutes (the most allowed): a revoked key the other instance refuses within
            // the wait's two-minute ceiling was dropped by the broadcast, not by its cache running out.
            ["Hiroi__ApiKeys__CacheSeconds"] = "600",
        };
        using var first = new SelfHostProcess(shared);
        using var second = new SelfHostProcess(new Dictionary<string, string>(shared) { ["Hiroi__Storage__Prefix"] = first.Prefix });
        var created = JsonDocument.Parse(await first.CliAsync("org", "create", "Shared", "--owner", "shared@example.com", "--json")).RootElement;
        await Task.WhenAll(first.StartAsync(), second.StartAsync());
        var ownerKey = created.GetProperty("apiKey").GetString()!;

        // A second key, used only to see its revocation travel.
        using var ownerOnFirst = Client(first, ownerKey);
        async Task<JsonElement> NewKeyAsync() => await (await ownerOnFirst.PostAsJsonAsync("/api/api-keys", new { name = "ci", role = "member" }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var made = await NewKeyAsync();
        using var memberOnSecond = Client(second, made.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await memberOnSecond.GetAsync("/api/orgs/current")).StatusCode); // now cached on the second

        Assert.Equal(HttpStatusCode.NoContent, (await ownerOnFirst.DeleteAsync("/api/api-keys/" + made.GetProperty("id").GetString())).StatusCode);
        await Waits.UntilAsync(async () => (await memberOnSecond.GetAsync("/api/orgs/current")).StatusCode == HttpStatusCode.Unauthorized,
            "the second instance to refuse the key the first revoked");

        // A fresh key's 12 requests alternate between the two instances: together they allow its 10 a minute. The window
        // is a minute of the wall clock (two processes have no clock to hold), so a count that straddled a minute's edge
        // (two windows' shares) is made again with another key; the next starts just past an edge and fits.
        List<HttpStatusCode> answers;
        var attempts = 0;
        do
        {
            attempts++;
            var key = (await NewKeyAsync()).GetProperty("key").GetString()!;
            using var onFirst = Client(first, key);
            using var onSecond = Client(second, key);
            var window = Minute(DateTimeOffset.UtcNow);
            answers = [];
            for (var i = 0; i < 12; i++)
            {
                answers.Add((await (i % 2 == 0 ? onFirst : onSecond).GetAsync("/api/orgs/current")).StatusCode);
            }

            if (Minute(DateTimeOffset.UtcNow) == window)
            {
                break;
            }
        }
        while (attempts < 3);

        Assert.Equal(10, answers.Count(a => a == HttpStatusCode.OK));
        Assert.Equal(2, answers.Count(a => a == HttpStatusCode.TooManyRequests));
        Assert.All(answers.Skip(10), a => Assert.Equal(HttpStatusCode.TooManyRequests, a));
    }

    private static long Minute(DateTimeOffset at) => at.UtcTicks / TimeSpan.TicksPerMinute;

    private static HttpClient Client(SelfHostProcess host, string key)
    {
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
