using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Text;
using Hiroi.Tests.Http;

namespace Hiroi.Tests.Protection;

/// <summary>Security headers, body charsets and display names, the same on both hosts.</summary>
public class HeadersAndBodiesTests(BothHosts hosts) : IClassFixture<BothHosts>
{
    public static TheoryData<string> Hosts => ["self", "functions"];

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Every_answer_carries_the_security_headers_and_credentialed_ones_are_not_cached(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var member = hosts.Client(host, org.OwnerApiKey);

        var health = await hosts.Client(host).GetAsync("/healthz");
        var anonymous = await hosts.Client(host).GetAsync("/api/orgs/current");
        var authenticated = await member.GetAsync("/api/orgs/current");
        var problem = await member.GetAsync("/api/lists/not%2Fa%2Fkey/contacts");

        foreach (var response in new[] { health, anonymous, authenticated, problem })
        {
            AssertSecurityHeaders(response);
        }

        Assert.Equal(HttpStatusCode.OK, authenticated.StatusCode);
        Assert.True(authenticated.Headers.CacheControl?.NoStore, "an authenticated answer must be no-store");
        Assert.True(problem.Headers.CacheControl?.NoStore);
        Assert.Null(health.Headers.CacheControl);
        // Tests run over http: HSTS would be meaningless (and is ignored by browsers) there.
        Assert.False(authenticated.Headers.Contains("Strict-Transport-Security"));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_json_body_in_an_unknown_or_non_utf8_charset_is_415_and_creates_nothing(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var owner = hosts.Client(host, org.OwnerApiKey);

        foreach (var contentType in new[] { "application/json; charset=x-bogus", "application/json; charset=utf-16", "application/json; charset=\"latin1\"",
            "application/problem+json; charset=x-bogus" })
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"name\":\"x\"}"));
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            await ProblemAssert.IsProblemAsync(await owner.PostAsync("/api/lists", content), HttpStatusCode.UnsupportedMediaType);
        }

        Assert.Equal(0, (await owner.GetFromJsonAsync<JsonElement>("/api/lists")).GetArrayLength());
        using var utf8 = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"name\":\"x\"}"));
        utf8.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=UTF-8");
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsync("/api/lists", utf8)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Names_with_nul_control_or_bidi_override_characters_are_refused(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var owner = hosts.Client(host, org.OwnerApiKey);
        string[] bad = ["a\u0000b", "tab\there", "\u202Egnp.exe", "x\u2066y", "bell\u0007", "\u200F"];

        foreach (var name in bad)
        {
            var json = await ProblemAssert.IsProblemAsync(await owner.PostAsJsonAsync("/api/lists", new { name }), HttpStatusCode.BadRequest);
            Assert.True(json.GetProperty("errors").TryGetProperty("name", out _));
            await ProblemAssert.IsProblemAsync(await owner.PostAsJsonAsync("/api/api-keys", new { name, role = "member" }), HttpStatusCode.BadRequest);
        }

        Assert.Equal(0, (await owner.GetFromJsonAsync<JsonElement>("/api/lists")).GetArrayLength());
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync("/api/lists", new { name = "Клиенты 東京 👩‍💻 (2026)" })).StatusCode);
    }

    [Theory]
    [InlineData("Acme", true)]
    [InlineData("  Acme  ", true)]
    [InlineData("Клиенты 東京 👩‍💻", true)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("a\u0000b", false)]
    [InlineData("\u202Eevil", false)]
    [InlineData("x\u2069", false)]
    public void Display_text_is_trimmed_and_refuses_what_would_misrender(string raw, bool clean)
    {
        Assert.Equal(clean, Hiroi.Shared.Text.DisplayText.TryClean(raw, 200, out var text));
        Assert.Equal(raw.Trim(), text);
    }

    [Fact]
    public void An_unpaired_surrogate_is_refused()
    {
        // Built in code: attribute arguments are stored as UTF-8, which cannot hold a lone surrogate.
        Assert.False(Hiroi.Shared.Text.DisplayText.TryClean("lone " + (char)0xD800 + " high", 200, out _));
        Assert.False(Hiroi.Shared.Text.DisplayText.TryClean("lone " + (char)0xDC00 + " low", 200, out _));
        Assert.True(Hiroi.Shared.Text.DisplayText.TryClean("pair " + (char)0xD83D + (char)0xDE00, 200, out _));
    }
}
