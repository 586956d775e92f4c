using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.Widget;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Widget;

public class WidgetSessionTests(ClockedApp app) : IClassFixture<ClockedApp>
{
    private const string Site = "https://shop.example.com";

    private async Task<(HttpClient Owner, string KeyId, JsonElement Key)> KeyAsync(string mode = "origin", object? limits = null, long? dailyTokenCap = null)
    {
        var owner = app.ClientWithKey((await app.CreateOrgAsync()).OwnerApiKey);
        var agent = await (await owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent())).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var body = new Dictionary<string, object?>
        {
            ["name"] = "Shop", ["environment"] = "prod", ["mode"] = mode, ["origins"] = new[] { Site, "http://localhost:5173" },
            ["agentId"] = agent.GetProperty("id").GetString(), ["dailyTokenCap"] = dailyTokenCap,
        };
        foreach (var property in limits?.GetType().GetProperties() ?? [])
        {
            body[char.ToLowerInvariant(property.Name[0]) + property.Name[1..]] = property.GetValue(limits);
        }

        var key = await (await owner.PostAsJsonAsync("/api/widget-keys", body)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        return (owner, key.GetProperty("id").GetString()!, key);
    }

    private WidgetClient Client(string keyId, string? origin = Site) => new(app.CreateClient(), keyId, origin);

    private Task<string> SnapshotAsync() => StorageScan.SnapshotAsync(app.StorageConnectionString, app.Prefix + "Widget");

    [Fact]
    public async Task A_page_on_an_allowed_origin_chats_with_the_agent_and_the_key_counts_it()
    {
        var (owner, keyId, _) = await KeyAsync();
        var widget = Client(keyId, "https://SHOP.example.com:443");

        var opened = await widget.OpenAsync();
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        Assert.Equal("https://SHOP.example.com:443", opened.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var reply = await widget.PostAsync("messages", new { text = "Do you ship to Canada?" });

        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.Equal("Thanks for your message. You said: Do you ship to Canada?", (await reply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetString());
        Assert.Equal(HttpStatusCode.OK, (await widget.PostAsync("heartbeat")).StatusCode);
        var usage = (await owner.GetFromJsonAsync<JsonElement>($"/api/widget-keys/{keyId}")).GetProperty("usage");
        Assert.Equal((1, 1), (usage.GetProperty("sessions").GetInt64(), usage.GetProperty("messages").GetInt64()));
        Assert.True(usage.GetProperty("tokens").GetInt64() > 0);
        var lines = (await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("lines").EnumerateArray().ToList();
        Assert.Contains(lines, l => l.GetProperty("channel").GetString() == "web" && l.GetProperty("turns").GetInt64() == 1);
    }

    [Fact]
    public async Task Other_origins_and_requests_without_one_are_refused_counted_and_write_no_session()
    {
        var (owner, keyId, _) = await KeyAsync();
        var before = await SnapshotAsync();

        foreach (var origin in new[] { "https://evil.example.com", "http://shop.example.com", "https://shop.example.com.evil.com", null })
        {
            await ProblemAssert.IsProblemAsync(await Client(keyId, origin).OpenAsync(), HttpStatusCode.Forbidden);
        }

        using var preflight = new HttpRequestMessage(HttpMethod.Options, $"/widget/v1/keys/{keyId}/sessions");
        preflight.Headers.Add("Origin", "https://evil.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var refused = await app.CreateClient().SendAsync(preflight);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        using var allowed = new HttpRequestMessage(HttpMethod.Options, $"/widget/v1/keys/{keyId}/sessions");
        allowed.Headers.Add("Origin", Site);
        allowed.Headers.Add("Access-Control-Request-Method", "POST");
        var ok = await app.CreateClient().SendAsync(allowed);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        Assert.Equal(Site, ok.Headers.GetValues("Access-Control-Allow-Origin").Single());

        Assert.DoesNotContain("wss_", Diff(before, await SnapshotAsync()), StringComparison.Ordinal);
        // Each of the three pages asked for a challenge, then a session; the request with no origin is not a page and is not counted.
        Assert.Equal(6, (await owner.GetFromJsonAsync<JsonElement>($"/api/widget-keys/{keyId}")).GetProperty("usage").GetProperty("refusedOrigins").GetInt64());
    }

    [Fact]
    public async Task The_bot_check_refuses_automation_and_unsolved_challenges()
    {
        var (_, keyId, _) = await KeyAsync();

        var automated = await ProblemAssert.IsProblemAsync(await Client(keyId).OpenAsync(webdriver: true), HttpStatusCode.Forbidden);
        var lazy = await ProblemAssert.IsProblemAsync(await Client(keyId).OpenAsync(solve: false), HttpStatusCode.Forbidden);
        var forged = Client(keyId);
        var forgedAnswer = await forged.PostAsync("sessions", new { visitorId = "visitor-0001", challenge = "v1.9999999999.0.AAAA.AAAA", solution = "0" });

        Assert.Contains("automation", automated.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("proof of work", lazy.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("not issued", (await ProblemAssert.IsProblemAsync(forgedAnswer, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_over_the_visitor_or_key_limit_are_refused_and_write_nothing()
    {
        var (_, keyId, _) = await KeyAsync(limits: new { MaxSessions = 2, MaxSessionsPerVisitor = 1 });
        Assert.Equal(HttpStatusCode.Created, (await Client(keyId).OpenAsync("visitor-aaaa")).StatusCode);
        var before = await SnapshotAsync();

        await ProblemAssert.IsProblemAsync(await Client(keyId).OpenAsync("visitor-aaaa"), HttpStatusCode.TooManyRequests);
        Assert.Equal(before, await SnapshotAsync());

        Assert.Equal(HttpStatusCode.Created, (await Client(keyId).OpenAsync("visitor-bbbb")).StatusCode);
        await ProblemAssert.IsProblemAsync(await Client(keyId).OpenAsync("visitor-cccc"), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task A_message_over_the_quota_ends_the_session_and_its_token_is_refused_after()
    {
        var (_, keyId, _) = await KeyAsync(limits: new { MessagesPerSession = 2 });
        var widget = Client(keyId);
        await widget.OpenAsync();
        (await widget.PostAsync("messages", new { text = "one" })).EnsureSuccessStatusCode();
        (await widget.PostAsync("messages", new { text = "two" })).EnsureSuccessStatusCode();

        var over = await ProblemAssert.IsProblemAsync(await widget.PostAsync("messages", new { text = "three" }), HttpStatusCode.TooManyRequests);

        Assert.Contains("session has ended", over.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var after = await ProblemAssert.IsProblemAsync(await widget.PostAsync("heartbeat"), HttpStatusCode.Gone);
        Assert.Equal("the session used up its messages", after.GetProperty("detail").GetString());
        await ProblemAssert.IsProblemAsync(await widget.PostAsync("messages", new { text = "four" }), HttpStatusCode.Gone);
    }

    [Fact]
    public async Task A_session_without_heartbeats_ends_when_idle_and_one_that_heartbeats_ends_at_its_maximum()
    {
        var (_, keyId, _) = await KeyAsync();
        var idle = Client(keyId);
        var busy = Client(keyId);
        await idle.OpenAsync("visitor-idle");
        await busy.OpenAsync("visitor-busy");

        for (var i = 0; i < 7; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(20));
            Assert.Equal(HttpStatusCode.OK, (await busy.PostAsync("heartbeat")).StatusCode);
        }

        Assert.Equal("the session was idle too long",
            (await ProblemAssert.IsProblemAsync(await idle.PostAsync("heartbeat"), HttpStatusCode.Gone)).GetProperty("detail").GetString());
        for (var i = 0; i < 90; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(20));
            if (!(await busy.PostAsync("heartbeat")).IsSuccessStatusCode)
            {
                break;
            }
        }

        Assert.Equal("the session reached its maximum duration",
            (await ProblemAssert.IsProblemAsync(await busy.PostAsync("heartbeat"), HttpStatusCode.Gone)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_revoked_key_opens_nothing_and_ends_its_live_sessions()
    {
        var (owner, keyId, _) = await KeyAsync();
        var widget = Client(keyId);
        await widget.OpenAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/widget-keys/{keyId}")).StatusCode);

        await ProblemAssert.IsProblemAsync(await Client(keyId).OpenAsync(), HttpStatusCode.NotFound);
        var ended = await ProblemAssert.IsProblemAsync(await widget.PostAsync("messages", new { text = "still there?" }), HttpStatusCode.Gone);
        Assert.Equal("the widget key was revoked or rotated out", ended.GetProperty("detail").GetString()); // the page shows why
        await ProblemAssert.IsProblemAsync(await widget.PostAsync("heartbeat"), HttpStatusCode.Gone);
    }

    [Fact]
    public async Task A_turn_over_the_keys_cap_is_refused_and_stores_no_transcript()
    {
        var (_, keyId, _) = await KeyAsync(dailyTokenCap: 10);
        var widget = Client(keyId);
        await widget.OpenAsync();
        var before = await SnapshotAsync();

        var refused = await ProblemAssert.IsProblemAsync(await widget.PostAsync("messages", new { text = "hello" }), HttpStatusCode.TooManyRequests);

        Assert.Equal("Daily limit reached", refused.GetProperty("title").GetString());
        Assert.DoesNotContain("wm_", Diff(before, await SnapshotAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signed_mode_opens_one_session_per_token_and_refuses_tampered_expired_other_site_and_unpinned_tokens()
    {
        var (owner, keyId, key) = await KeyAsync(mode: "signed");
        var (_, otherKeyId, _) = await KeyAsync(mode: "signed");
        var signing = key.GetProperty("signingSecret");
        var (kid, secret) = (signing.GetProperty("kid").GetString()!, Base64Url.DecodeFromChars(signing.GetProperty("secret").GetString()));
        var now = app.Clock.GetUtcNow();
        string Mint(string jti, DateTimeOffset? iat = null, string? wk = null, string alg = "HS256") =>
            WidgetTokens.Mint(secret, kid, wk ?? keyId, "customer-77", iat ?? now, (iat ?? now).AddMinutes(5), jti, alg);

        var good = Mint("jti-1");
        Assert.Equal(HttpStatusCode.Created, (await Client(keyId).OpenAsync(visitorId: null, token: good)).StatusCode);
        var before = await SnapshotAsync();
        foreach (var bad in new[] { good, Mint("jti-2", iat: now.AddMinutes(-30)), Mint("jti-3", wk: otherKeyId), Mint("jti-4", alg: "none"), Mint("jti-5", alg: "RS256"),
            good[..^3] + "AAA", null })
        {
            await ProblemAssert.IsProblemAsync(await Client(keyId).OpenAsync(visitorId: null, token: bad), HttpStatusCode.Unauthorized);
        }

        Assert.Equal(before, await SnapshotAsync());

        // Rotation: a new secret; the previous one stays valid until the date given.
        var rotated = await (await owner.PostAsJsonAsync($"/api/widget-keys/{keyId}/secrets", new { previousValidUntil = now.AddHours(1) })).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonElement>();
        var newSecret = Base64Url.DecodeFromChars(rotated.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.Created,
            (await Client(keyId).OpenAsync(null, WidgetTokens.Mint(newSecret, rotated.GetProperty("kid").GetString()!, keyId, "c-1", now, now.AddMinutes(5), "jti-6"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Client(keyId).OpenAsync(null, Mint("jti-7"))).StatusCode);
    }

    [Fact]
    public async Task A_visitors_transcripts_are_exported_and_erased_by_visitor_id_or_by_the_email_their_token_gave()
    {
        var (owner, keyId, _) = await KeyAsync();
        var (signedOwner, signedKeyId, signedKey) = await KeyAsync(mode: "signed"); // another org
        var visitor = Client(keyId);
        var other = Client(keyId);
        await visitor.OpenAsync("visitor-gdpr-1");
        await other.OpenAsync("visitor-gdpr-2");
        (await visitor.PostAsync("messages", new { text = "My order number is 4411" })).EnsureSuccessStatusCode();
        (await other.PostAsync("messages", new { text = "Someone else entirely" })).EnsureSuccessStatusCode();

        var export = await (await owner.PostAsJsonAsync("/api/privacy/export", new { visitorId = "visitor-gdpr-1" })).EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        Assert.Contains("My order number is 4411", export, StringComparison.Ordinal);
        Assert.DoesNotContain("Someone else entirely", export, StringComparison.Ordinal);
        Assert.DoesNotContain("tokenHash", export, StringComparison.OrdinalIgnoreCase);

        var erased = await (await owner.PostAsJsonAsync("/api/privacy/erasure", new { visitorId = "visitor-gdpr-1" })).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((2, 1), (erased.GetProperty("erased").GetProperty("widgetMessages").GetInt32(), erased.GetProperty("erased").GetProperty("widgetSessions").GetInt32()));
        Assert.Empty(await StorageScan.FindAsync(app, "My order number is 4411")); // every row of the app's storage, read
        await ProblemAssert.IsProblemAsync(await visitor.PostAsync("heartbeat"), HttpStatusCode.Unauthorized); // its session is gone with it

        // Signed mode: the email the org's server put in the token finds the visitor's transcripts.
        var signing = signedKey.GetProperty("signingSecret");
        var now = app.Clock.GetUtcNow();
        var token = WidgetTokens.Mint(Base64Url.DecodeFromChars(signing.GetProperty("secret").GetString()), signing.GetProperty("kid").GetString()!, signedKeyId,
            "crm-4242", now, now.AddMinutes(5), "jti-gdpr", email: "Dana@Example.com");
        var signedWidget = Client(signedKeyId);
        (await signedWidget.OpenAsync(null, token)).EnsureSuccessStatusCode();
        (await signedWidget.PostAsync("messages", new { text = "Dana here" })).EnsureSuccessStatusCode();
        var byEmail = await (await signedOwner.PostAsJsonAsync("/api/privacy/export", new { email = "dana@example.com" })).EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        Assert.Contains("Dana here", byEmail, StringComparison.Ordinal);
        Assert.DoesNotContain("Dana here",
            await (await owner.PostAsJsonAsync("/api/privacy/export", new { email = "dana@example.com" })).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await owner.PostAsJsonAsync("/api/privacy/export", new { visitorId = "v1", email = "dana@example.com" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Keys_with_wildcard_path_or_plain_http_origins_or_another_orgs_agent_are_400_and_store_nothing()
    {
        var (owner, _, created) = await KeyAsync();
        var (otherOwner, _, _) = await KeyAsync();
        var agentId = created.GetProperty("agentId").GetString();
        var before = (await owner.GetFromJsonAsync<JsonElement>("/api/widget-keys")).GetArrayLength();

        foreach (var origin in new[] { "https://*.example.com", "*", "https://shop.example.com/widget", "http://shop.example.com", "https://user@shop.example.com" })
        {
            var problem = await ProblemAssert.IsProblemAsync(
                await owner.PostAsJsonAsync("/api/widget-keys", new { name = "Bad", environment = "prod", mode = "origin", origins = new[] { origin }, agentId }),
                HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("origins", out _), origin);
        }

        var foreignAgent = await ProblemAssert.IsProblemAsync(
            await otherOwner.PostAsJsonAsync("/api/widget-keys", new { name = "Bad", environment = "prod", mode = "origin", origins = new[] { Site }, agentId }),
            HttpStatusCode.BadRequest);
        Assert.True(foreignAgent.GetProperty("errors").TryGetProperty("agentId", out _));
        await ProblemAssert.IsProblemAsync(
            await owner.PostAsJsonAsync("/api/widget-keys", new { name = "Bad", environment = "qa", mode = "magic", origins = new[] { Site }, agentId }),
            HttpStatusCode.BadRequest);
        Assert.Equal(before, (await owner.GetFromJsonAsync<JsonElement>("/api/widget-keys")).GetArrayLength());
        Assert.StartsWith("<script src=\"", created.GetProperty("embed").GetString(), StringComparison.Ordinal);
        Assert.Contains(WidgetEmbedIntegrity(), created.GetProperty("embed").GetString(), StringComparison.Ordinal);
    }

    private string WidgetEmbedIntegrity()
    {
        var script = app.CreateClient().GetByteArrayAsync("/widget/v1/embed.js").GetAwaiter().GetResult();
        return "integrity=\"sha384-" + Convert.ToBase64String(System.Security.Cryptography.SHA384.HashData(script)) + "\"";
    }

    private static string Diff(string before, string after) =>
        string.Join('\n', after.Split('\n').Except(before.Split('\n')));
}
