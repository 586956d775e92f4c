using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Http;

/// <summary>
/// Walks a host's route list, so a route added without thinking about who may call it fails here: every route but the
/// deliberately anonymous ones answers 401 without credentials, admin routes answer 403 to a member, and member routes
/// let a member through. The same walk runs on the self-host and on the Functions app.
/// </summary>
public abstract class EndpointAuthorizationTests
{
    /// <summary>The routes anyone may call: health probes, and the webhook and call callbacks, which authenticate their callers themselves.</summary>
    private static readonly string[] Anonymous =
    [
        "GetHealth", "GetReadiness", "GetOpenApiDocument", "ReceiveAcsEvents", "AnswerEventGridHandshake", "ReceiveCallCallback",
        // The widget's public API authenticates itself: the key's origin or signed token, then the session token.
        "WidgetEmbedScript", "WidgetDemoPage", "WidgetDemoScript", "WidgetPreflight", "WidgetChallenge", "OpenWidgetSession", "WidgetHeartbeat",
        "SendWidgetMessage", "EndWidgetSession",
        // Signing in: asking for and completing a link or code (limited per account and IP), and the console's static pages.
        "RequestSignInLink", "CompleteSignInLink", "RequestSignInCode", "CompleteSignInCode", "BeginPasskeySignIn", "CompletePasskeySignIn",
        "StartEntraSignIn", "EntraSignInCallback",
        "ConsoleSignInPage", "ConsoleLinkPage", "ConsoleSecurityPage", "ConsoleAsset",
    ];

    protected abstract IReadOnlyList<RouteEntry> Routes { get; }

    /// <summary>Anonymous routes only this host has (the self-host's media socket, which checks its own token).</summary>
    protected virtual IEnumerable<string> HostOnlyAnonymous => [];

    protected abstract HttpClient CreateClient();

    protected abstract HttpClient ClientWithKey(string apiKey);

    protected abstract Task<CreatedOrganization> CreateOrgAsync();

    [Fact]
    public void Only_the_listed_routes_are_anonymous()
    {
        Assert.Equal(Anonymous.Concat(HostOnlyAnonymous).Order(StringComparer.Ordinal), Routes.Where(r => r.Anonymous).Select(r => r.Name!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_route_but_the_anonymous_ones_answers_401_without_credentials()
    {
        var client = CreateClient();
        var protectedRoutes = Routes.Where(r => !r.Anonymous).ToList();
        Assert.True(protectedRoutes.Count > 30, "the walk found the console routes");
        foreach (var route in protectedRoutes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path()) { Content = JsonContent.Create(new { }) };
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{route} answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Admin_routes_answer_403_to_a_member_person_routes_403_to_any_key_and_member_routes_let_a_member_through()
    {
        var org = await CreateOrgAsync();
        var owner = ClientWithKey(org.OwnerApiKey);
        var created = await owner.PostAsJsonAsync("/api/api-keys", new { name = "reader", role = "member" });
        created.EnsureSuccessStatusCode();
        var member = ClientWithKey((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);

        var consoleRoutes = Routes.Where(r => !r.Anonymous).ToList();
        Assert.Contains(consoleRoutes, r => r.IsAdmin);
        Assert.Contains(consoleRoutes, r => !r.IsAdmin);
        foreach (var route in consoleRoutes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path()) { Content = JsonContent.Create(new { }) };
            var status = (await member.SendAsync(request)).StatusCode;
            if (route.IsAdmin || route.IsForPeople)
            {
                Assert.True(status == HttpStatusCode.Forbidden, $"{route} answered a member key {(int)status}");
            }
            else
            {
                Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{route} refused a member: {(int)status}");
            }
        }
    }

    /// <summary>
    /// Ids that must never reach storage as keys, nor make a route fail: traversal, key-forbidden characters, bidi
    /// override, invalid UTF-8, oversize. (A NUL in a path never reaches the app: the server refuses it first.)
    /// </summary>
    private static readonly string[] HostileIds =
        ["..%2F..%2Fetc", "a%2Fb", "a%23b", "a%3Fb", "%01", "%E2%80%AE", "%F0%28%8C%28", new string('z', 2000), "'%20or%20'1'%3D'1", "%25", "con"];

    /// <summary>
    /// Routes whose id is a name the caller chooses in its own org (create or replace): B naming A's secret names a
    /// secret of B's, so the answer cannot be 404. It must be refused here (the walk's body has no value) and leave A's alone.
    /// </summary>
    private static readonly string[] CallerNamedRoutes = ["SetTenantSecret"];

    [Fact]
    public async Task Another_orgs_ids_are_404_on_every_route_and_hostile_ids_are_4xx_never_5xx()
    {
        var a = ClientWithKey((await CreateOrgAsync()).OwnerApiKey);
        var b = ClientWithKey((await CreateOrgAsync()).OwnerApiKey);
        var ofA = await OrgResources.CreateAsync(a);
        // Routes for people take ids of the person's own (their sessions): SessionSecurityTests walks those across people.
        var routes = Routes.Where(r => !r.Anonymous && !r.IsForPeople && r.Route.Contains('{', StringComparison.Ordinal)).ToList();
        Assert.True(routes.Count >= 10, "the walk found the routes that take ids");
        var failures = new List<string>();

        foreach (var route in routes)
        {
            var path = route.Fill(name => ofA.TryGetValue(name, out var id) ? id : throw new InvalidOperationException($"no id of A for {{{name}}} in {route}"));
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), path) { Content = JsonContent.Create(new { role = "admin" }) };
            var response = await b.SendAsync(request);
            if (CallerNamedRoutes.Contains(route.Name))
            {
                if (response.StatusCode != HttpStatusCode.BadRequest)
                {
                    failures.Add($"{route} with A's name and no value answered B {(int)response.StatusCode}");
                }
            }
            else if (response.StatusCode != HttpStatusCode.NotFound)
            {
                failures.Add($"{route} with A's id answered B {(int)response.StatusCode}");
            }

            foreach (var hostile in HostileIds)
            {
                using var bad = new HttpRequestMessage(new HttpMethod(route.Method), route.Fill(_ => hostile)) { Content = JsonContent.Create(new { role = "admin" }) };
                var status = (int)(await a.SendAsync(bad)).StatusCode;
                if (status is < 400 or >= 500 && !(status == 404))
                {
                    failures.Add($"{route} with id {hostile[..Math.Min(hostile.Length, 20)]} answered {status}");
                }
            }
        }

        Assert.Empty(failures);
        // A's resources are all still there for A.
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync($"/api/campaigns/{ofA["campaignId"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync($"/api/lists/{ofA["listId"]}/contacts")).StatusCode);
        var keys = await a.GetFromJsonAsync<JsonElement>("/api/api-keys");
        Assert.Contains(keys.EnumerateArray(), k => k.GetProperty("id").GetString() == ofA["keyId"] && !k.TryGetProperty("revokedAt", out _));
        var secretsOfA = await a.GetFromJsonAsync<JsonElement>("/api/secrets");
        Assert.Contains(secretsOfA.GetProperty("secrets").EnumerateArray(), s => s.GetProperty("name").GetString() == ofA["name"]);
        Assert.Empty((await b.GetFromJsonAsync<JsonElement>("/api/secrets")).GetProperty("secrets").EnumerateArray());
    }
}

public class SelfHostAuthorizationTests(HiroiApp app) : EndpointAuthorizationTests, IClassFixture<HiroiApp>
{
    protected override IReadOnlyList<RouteEntry> Routes => RouteTable.Of(app.Services);

    /// <summary>The realtime media socket (self-host only, see HostParityTests): ACS opens it with the call's media token.</summary>
    protected override IEnumerable<string> HostOnlyAnonymous => ["StreamCallMedia"];

    protected override HttpClient CreateClient() => app.CreateClient();

    protected override HttpClient ClientWithKey(string apiKey) => app.ClientWithKey(apiKey);

    protected override Task<CreatedOrganization> CreateOrgAsync() => app.CreateOrgAsync();

    [Fact]
    public void Every_endpoint_has_a_unique_stable_name()
    {
        Assert.NotEmpty(Routes);
        Assert.All(Routes, r => Assert.False(string.IsNullOrEmpty(r.Name), $"{r} has no name"));
        Assert.Empty(Routes.GroupBy(r => r.Name).Where(g => g.Count() > 1).Select(g => g.Key));
    }
}

public class FunctionsAuthorizationTests(FunctionsFixture functions) : EndpointAuthorizationTests, IClassFixture<FunctionsFixture>
{
    protected override IReadOnlyList<RouteEntry> Routes => functions.App.Routes;

    protected override HttpClient CreateClient() => functions.App.CreateClient();

    protected override HttpClient ClientWithKey(string apiKey) => functions.App.ClientWithKey(apiKey);

    protected override Task<CreatedOrganization> CreateOrgAsync() => functions.App.CreateOrgAsync();
}
