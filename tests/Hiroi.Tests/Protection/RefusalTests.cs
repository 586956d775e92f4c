using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Widget;
using Hiroi.Tests.Http;
using Hiroi.Tests.Widget;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Protection;

/// <summary>
/// Requests the review found answered 500, 401 instead of 415, a session for a respelled token, or an empty body: each is
/// now a 4xx problem details on both hosts, and a route's body limit holds before the body is read.
/// </summary>
public class RefusalTests(BothHosts hosts) : IClassFixture<BothHosts>
{
    public static TheoryData<string> Hosts => ["self", "functions"];

    private static ByteArrayContent Body(string contentType, string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private IServiceProvider Services(string host) => host == "self" ? hosts.SelfHost.Services : hosts.Functions.App.Services;

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_quoted_utf8_charset_is_read_and_an_empty_or_unreadable_one_is_415_on_every_json_route(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var owner = hosts.Client(host, org.OwnerApiKey);

        Assert.Equal(HttpStatusCode.Accepted,
            (await hosts.Client(host).PostAsync("/auth/link", Body("application/json; charset=\"utf-8\"", """{"email":"quoted@example.com"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsync("/api/lists", Body("application/json; charset=\"UTF-8\"", """{"name":"Quoted"}"""))).StatusCode);

        var routes = (host == "self" ? Infrastructure.RouteTable.Of(hosts.SelfHost.Services) : hosts.Functions.App.Routes).Where(r => r.BodyType is not null).ToList();
        Assert.Contains(routes, r => r.Anonymous);
        var failures = new List<string>();
        foreach (var route in routes)
        {
            foreach (var contentType in new[] { "application/json; charset=\"\"", "application/json; charset=", "application/json; charset=utf-8; charset=latin1",
                "application/json; charset=\"utf 8\"" })
            {
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path("x")) { Content = Body(contentType, "{}") };
                var response = await owner.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.UnsupportedMediaType || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{route} {contentType}: {(int)response.StatusCode}");
                }
            }

            using var quoted = new HttpRequestMessage(new HttpMethod(route.Method), route.Path("x")) { Content = Body("application/json; charset=\"utf-8\"", "{}") };
            if ((int)(await owner.SendAsync(quoted)).StatusCode >= 500)
            {
                failures.Add($"{route} quoted utf-8: 5xx");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Plain_text_or_a_form_to_an_anonymous_json_route_is_415_not_a_sign_in_demand(string host)
    {
        var anonymous = hosts.Client(host);

        foreach (var contentType in new[] { "text/plain", "application/x-www-form-urlencoded" })
        {
            await ProblemAssert.IsProblemAsync(await anonymous.PostAsync("/auth/link", Body(contentType, "email=a@example.com")), HttpStatusCode.UnsupportedMediaType);
            await ProblemAssert.IsProblemAsync(await anonymous.PostAsync("/auth/code/complete", Body(contentType, "code=1")), HttpStatusCode.UnsupportedMediaType);
        }
    }

    [Fact]
    public async Task A_method_a_route_does_not_take_is_405_problem_details_for_anyone()
    {
        var anonymous = hosts.Client("self");

        var response = await anonymous.GetAsync("/auth/link");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Errors_are_problem_details_whatever_the_client_accepts(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var failures = new List<string>();
        foreach (var accept in new[] { "text/html", "text/plain", "image/png", "application/xml" })
        {
            var anonymous = hosts.Client(host);
            var owner = hosts.Client(host, org.OwnerApiKey);
            anonymous.DefaultRequestHeaders.Accept.ParseAdd(accept);
            owner.DefaultRequestHeaders.Accept.ParseAdd(accept);
            var answers = new Dictionary<string, (HttpResponseMessage Response, HttpStatusCode Expected)>
            {
                ["anonymous console route"] = (await anonymous.GetAsync("/api/agents"), HttpStatusCode.Unauthorized),
                ["malformed json"] = (await owner.PostAsync("/api/lists", Body("application/json", "{")), HttpStatusCode.BadRequest),
                ["unknown agent"] = (await owner.GetAsync("/api/agents/ag_nothing"), HttpStatusCode.NotFound),
                ["bad charset"] = (await owner.PostAsync("/api/lists", Body("application/json; charset=latin1", "{}")), HttpStatusCode.UnsupportedMediaType),
            };
            if (host == "self")
            {
                answers["wrong method"] = (await owner.DeleteAsync("/api/lists"), HttpStatusCode.MethodNotAllowed);
                answers["no route"] = (await owner.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound);
            }

            foreach (var (name, (response, expected)) in answers)
            {
                if (response.StatusCode != expected || response.Content.Headers.ContentType?.MediaType != "application/problem+json"
                    || JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32() != (int)expected)
                {
                    failures.Add($"Accept {accept}, {name}: {(int)response.StatusCode} {response.Content.Headers.ContentType}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_daily_cost_cap_beyond_any_amount_is_a_validation_problem_naming_the_field(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var owner = hosts.Client(host, org.OwnerApiKey);
        var agent = await (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent())).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var agentId = agent.GetProperty("id").GetString();

        foreach (var cap in new[] { "9.3e12", "1e20", "79228162514264337593543950335", "-0.5", "1000000.5" })
        {
            var agentBody = $$"""{"name":"Big","instructions":"Be brief.","model":"local","dailyCostCapUsd":{{cap}}}""";
            var keyBody = $$"""{"name":"Shop","environment":"prod","mode":"origin","origins":["https://shop.example.com"],"agentId":"{{agentId}}","dailyCostCapUsd":{{cap}}}""";
            foreach (var (method, path, json) in new[] { ("POST", "/api/agents", agentBody), ("PUT", $"/api/agents/{agentId}", agentBody), ("POST", "/api/widget-keys", keyBody) })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Body("application/json", json) };
                var problem = await ProblemAssert.IsProblemAsync(await owner.SendAsync(request), HttpStatusCode.BadRequest);
                Assert.True(problem.GetProperty("errors").TryGetProperty("dailyCostCapUsd", out _), $"{method} {path} {cap}: {problem}");
            }
        }

        Assert.Equal(1, (await owner.GetFromJsonAsync<JsonElement>("/api/agents")).GetArrayLength());
        Assert.Equal(0, (await owner.GetFromJsonAsync<JsonElement>("/api/widget-keys")).GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Sign_in_and_widget_bodies_over_64_kb_are_413_before_they_are_read(string host)
    {
        var anonymous = hosts.Client(host);
        var exactly = """{"email":"limit@example.com"}""".PadRight(64 * 1024);
        var over = exactly + " ";

        Assert.Equal(HttpStatusCode.Accepted, (await anonymous.PostAsync("/auth/link", Body("application/json", exactly))).StatusCode);
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsync("/auth/link", Body("application/json", over)), HttpStatusCode.RequestEntityTooLarge);
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsync("/auth/link", Chunked(over)), HttpStatusCode.RequestEntityTooLarge);
        var credential = $$"""{"id":"{{new string('A', 1_000_000)}}"}""";
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsync("/auth/passkeys/sign-in/complete", Chunked(credential)), HttpStatusCode.RequestEntityTooLarge);
        var visitor = $$"""{"visitorId":"{{new string('v', 1_000_000)}}"}""";
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsync("/widget/v1/keys/wk_x/sessions", Body("application/json", visitor)), HttpStatusCode.RequestEntityTooLarge);
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsync("/widget/v1/keys/wk_x/sessions", Chunked(visitor)), HttpStatusCode.RequestEntityTooLarge);

        // Console routes keep the server's limit (CSV imports are megabytes).
        var org = await hosts.CreateOrgAsync(host);
        var list = """{"name":"Padded"}""".PadRight(200_000);
        Assert.Equal(HttpStatusCode.Created, (await hosts.Client(host, org.OwnerApiKey).PostAsync("/api/lists", Body("application/json", list))).StatusCode);
    }

    /// <summary>A body sent without Content-Length, so only reading it shows its size.</summary>
    private static StreamContent Chunked(string text)
    {
        var content = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(text)));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        return content;
    }

    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Widget_tokens_that_threw_or_were_respelled_get_401_and_open_no_session(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var owner = hosts.Client(host, org.OwnerApiKey);
        var agent = await (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent())).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var key = await (await owner.PostAsJsonAsync("/api/widget-keys", new
        {
            name = "Signed", environment = "prod", mode = "signed", origins = new[] { "https://shop.example.com" }, agentId = agent.GetProperty("id").GetString(),
        })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var keyId = key.GetProperty("id").GetString()!;
        var signing = key.GetProperty("signingSecret");
        var (kid, secret) = (signing.GetProperty("kid").GetString()!, Base64Url.DecodeFromChars(signing.GetProperty("secret").GetString()));
        var now = Services(host).GetRequiredService<TimeProvider>().GetUtcNow();
        string Segment(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        string Signed(string header, string payload) =>
            header + "." + payload + "." + Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(header + "." + payload)));
        var claims = Segment($$"""{"wk":"{{keyId}}","sub":"visitor-1","jti":"jti-{{Guid.NewGuid():N}}","iat":{{now.ToUnixTimeSeconds()}}"""
            + $$""","exp":{{now.AddMinutes(5).ToUnixTimeSeconds()}}}""");
        var header = Segment($$"""{"alg":"HS256","kid":"{{kid}}"}""");
        var good = WidgetTokens.Mint(secret, kid, keyId, "visitor-2", now, now.AddMinutes(5), "jti-good-" + Guid.NewGuid().ToString("N"));

        var refused = new Dictionary<string, string>
        {
            ["bad header character"] = "eyJhbG?.e30.x",
            ["lone surrogate kid"] = Signed(Segment("""{"alg":"HS256","kid":"\ud800"}"""), claims),
            ["bad signature characters"] = header + "." + claims + ".!!!!",
            ["iat of long.MinValue"] = Signed(header,
                Segment($$"""{"wk":"{{keyId}}","sub":"visitor-1","jti":"j-min","iat":-9223372036854775808,"exp":{{now.AddMinutes(5).ToUnixTimeSeconds()}}}""")),
            ["= appended"] = good + "=", ["== appended"] = good + "==", ["leading space"] = " " + good, ["inner space"] = good[..^10] + " " + good[^10..],
            ["CRLF"] = good[..^10] + "\r\n" + good[^10..], ["tab"] = good[..^10] + "\t" + good[^10..],
        };
        var failures = new List<string>();
        foreach (var (name, token) in refused)
        {
            var response = await new WidgetClient(hosts.Client(host), keyId, "https://shop.example.com").OpenAsync(visitorId: null, token: token);
            if (response.StatusCode != HttpStatusCode.Unauthorized || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{name}: {(int)response.StatusCode}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));

        Assert.Equal(HttpStatusCode.Created, (await new WidgetClient(hosts.Client(host), keyId, "https://shop.example.com").OpenAsync(visitorId: null, token: good)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task An_api_key_after_a_tab_or_with_a_trailing_character_is_refused(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        // Straight into the server: HttpClient would re-spell the header.
        var server = (Microsoft.AspNetCore.TestHost.TestServer)Services(host).GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>();
        foreach (var value in new[] { "Bearer \t" + org.OwnerApiKey, "Bearer " + org.OwnerApiKey + "\u00a0", "Bearer " + org.OwnerApiKey + "\t" })
        {
            var context = await server.SendAsync(c =>
            {
                c.Request.Method = "GET";
                c.Request.Path = "/api/orgs/current";
                c.Request.Headers.Authorization = value;
            });
            Assert.True(context.Response.StatusCode == 401, $"'{value[..8]}…{value[^1]}': {context.Response.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.OK, (await hosts.Client(host, org.OwnerApiKey).GetAsync("/api/orgs/current")).StatusCode);
    }
}
