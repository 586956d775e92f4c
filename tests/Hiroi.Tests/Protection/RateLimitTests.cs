using System.Net;
using System.Net.Http.Json;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Hiroi.Tests.Protection;

/// <summary>The self-host with small limits: 5 a minute per credential, 3 per anonymous IP, 4 per webhook sender.</summary>
public sealed class LimitedApp : HiroiApp
{
    public static readonly Dictionary<string, string> Limits = new()
    {
        ["Hiroi:RateLimits:Enabled"] = "true",
        ["Hiroi:RateLimits:PerCredentialPerMinute"] = "5",
        ["Hiroi:RateLimits:AnonymousPerIpPerMinute"] = "3",
        ["Hiroi:RateLimits:WebhookPerIpPerMinute"] = "4",
        // As deployed: private hops believed, two deep.
        ["Hiroi:Proxies:KnownNetworks:0"] = "10.0.0.0/8",
        ["Hiroi:Proxies:ForwardLimit"] = "2",
    };

    private static int _addresses;

    /// <summary>A client address no other test of this app uses, so their one-minute buckets never meet.</summary>
    public static string NewIp(string network = "203.0")
    {
        var n = Interlocked.Increment(ref _addresses);
        return $"{network}.{(n >> 8) & 255}.{n & 255}";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        foreach (var (key, value) in Limits)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Sends a request as if from <paramref name="client"/>, optionally through a proxy that adds X-Forwarded-For.</summary>
    public async Task<HttpContext> SendFromAsync(string client, string method, string path, string? forwardedFor = null)
    {
        return await Server.SendAsync(context =>
        {
            context.Request.Method = method;
            context.Request.Path = path;
            context.Connection.RemoteIpAddress = IPAddress.Parse(client);
            if (forwardedFor is not null)
            {
                context.Request.Headers["X-Forwarded-For"] = forwardedFor;
            }
        });
    }
}

public class RateLimitTests(LimitedApp app) : IClassFixture<LimitedApp>
{
    private static string NewIp(string network = "203.0") => LimitedApp.NewIp(network);

    [Fact]
    public async Task A_credential_gets_its_limit_then_429_problem_details_with_retry_after_and_ratelimit_headers()
    {
        var ours = app.ClientWithKey((await app.CreateOrgAsync()).OwnerApiKey);
        var theirs = app.ClientWithKey((await app.CreateOrgAsync("Other")).OwnerApiKey);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ours.GetAsync("/api/orgs/current")).StatusCode);
        }

        var refused = await ours.GetAsync("/api/orgs/current");
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests);
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("5", Assert.Single(refused.Headers.GetValues("RateLimit-Limit")));
        Assert.Equal("0", Assert.Single(refused.Headers.GetValues("RateLimit-Remaining")));
        Assert.Equal(retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(refused.Headers.GetValues("RateLimit-Reset")));
        Assert.Equal("nosniff", Assert.Single(refused.Headers.GetValues("X-Content-Type-Options")));

        // Another credential has a bucket of its own.
        Assert.Equal(HttpStatusCode.OK, (await theirs.GetAsync("/api/orgs/current")).StatusCode);
    }

    [Fact]
    public async Task Anonymous_requests_are_limited_per_client_ip()
    {
        var first = NewIp();
        var second = NewIp("198.51");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await app.SendFromAsync(first, "GET", "/healthz")).Response.StatusCode);
        }

        Assert.Equal(429, (await app.SendFromAsync(first, "GET", "/healthz")).Response.StatusCode);
        Assert.Equal(429, (await app.SendFromAsync(first, "GET", "/api/orgs/current")).Response.StatusCode);
        Assert.Equal(200, (await app.SendFromAsync(second, "GET", "/healthz")).Response.StatusCode);
    }

    [Fact]
    public async Task X_forwarded_for_is_believed_from_a_trusted_proxy_only()
    {
        // Loopback (the Functions host, a local proxy) is trusted: the client it names gets the bucket.
        var behindProxy = NewIp();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await app.SendFromAsync("127.0.0.1", "GET", "/healthz", forwardedFor: behindProxy)).Response.StatusCode);
        }

        Assert.Equal(429, (await app.SendFromAsync("127.0.0.1", "GET", "/healthz", forwardedFor: behindProxy)).Response.StatusCode);
        Assert.Equal(200, (await app.SendFromAsync("127.0.0.1", "GET", "/healthz", forwardedFor: NewIp())).Response.StatusCode);

        // Anyone else cannot pick a fresh address per request by sending the header.
        var direct = NewIp("192.0");
        var answers = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add((await app.SendFromAsync(direct, "GET", "/healthz", forwardedFor: $"10.9.8.{i}")).Response.StatusCode);
        }

        Assert.Equal([200, 200, 200, 429, 429], answers);
    }

    [Fact]
    public async Task Behind_two_private_hops_the_client_is_found_and_addresses_it_prepends_are_ignored()
    {
        // A client behind the platform's front end and the Functions host: "spoofed, client, front end" arrives from loopback.
        var client = NewIp();
        var answers = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add((await app.SendFromAsync("127.0.0.1", "GET", "/healthz", forwardedFor: $"{NewIp("192.0")}, {client}, 10.20.30.40")).Response.StatusCode);
        }

        Assert.Equal([200, 200, 200, 429], answers);
        Assert.Equal(200, (await app.SendFromAsync("127.0.0.1", "GET", "/healthz", forwardedFor: $"{NewIp()}, 10.20.30.40")).Response.StatusCode);
    }

    [Fact]
    public async Task The_webhook_has_its_own_bucket_per_sender()
    {
        var sender = NewIp();
        for (var i = 0; i < 3; i++)
        {
            await app.SendFromAsync(sender, "GET", "/healthz");
        }

        Assert.Equal(429, (await app.SendFromAsync(sender, "GET", "/healthz")).Response.StatusCode);
        var webhook = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            webhook.Add((await app.SendFromAsync(sender, "POST", "/api/eventgrid/acs")).Response.StatusCode);
        }

        Assert.Equal([401, 401, 401, 401, 429], webhook);
    }
}

/// <summary>The same limits in the Functions app, which runs the same middleware per invocation.</summary>
public class FunctionsRateLimitTests
{
    [Fact]
    public async Task A_credential_gets_its_limit_then_429_in_the_functions_app_too()
    {
        await using var functions = await FunctionsApp.StartAsync(LimitedApp.Limits.ToDictionary(k => k.Key, k => k.Value));
        var client = functions.ClientWithKey((await functions.CreateOrgAsync()).OwnerApiKey);

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add((await client.GetAsync("/api/orgs/current")).StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], answers);
        var refused = await client.GetAsync("/api/orgs/current");
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.Contains("Retry-After"));
    }
}
