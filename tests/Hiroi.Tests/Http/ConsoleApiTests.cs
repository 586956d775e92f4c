using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Http;

public class ConsoleApiTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    private async Task<(HttpClient Owner, string OrgId)> NewOrgAsync()
    {
        var org = await app.CreateOrgAsync();
        return (app.ClientWithKey(org.OwnerApiKey), org.OrgId.Value);
    }

    private static async Task<HttpClient> KeyClientAsync(HiroiApp app, HttpClient owner, string role)
    {
        var created = await JsonAsync(await owner.PostAsJsonAsync("/api/api-keys", new { name = role + " key", role }));
        return app.ClientWithKey(created.GetProperty("key").GetString()!);
    }

    [Fact]
    public async Task Members_can_be_added_listed_rerolled_and_removed()
    {
        var (owner, _) = await NewOrgAsync();

        var added = await owner.PostAsJsonAsync("/api/members", new { email = "  Dev@Example.com ", role = "member" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var member = await JsonAsync(added);
        var id = member.GetProperty("id").GetString()!;
        Assert.Equal("dev@example.com", member.GetProperty("email").GetString());
        Assert.Equal($"/api/members/{id}", added.Headers.Location!.OriginalString);

        var list = await JsonAsync(await owner.GetAsync("/api/members"));
        Assert.Equal(2, list.GetArrayLength());

        var changed = await owner.PatchAsJsonAsync($"/api/members/{id}", new { role = "admin" });
        Assert.Equal("admin", (await JsonAsync(changed)).GetProperty("role").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/members/{id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await owner.DeleteAsync($"/api/members/{id}"), HttpStatusCode.NotFound);
        Assert.Equal(1, (await JsonAsync(await owner.GetAsync("/api/members"))).GetArrayLength());
    }

    [Fact]
    public async Task Adding_the_same_person_twice_is_409()
    {
        var (owner, _) = await NewOrgAsync();
        await owner.PostAsJsonAsync("/api/members", new { email = "twice@example.com", role = "member" });

        var again = await owner.PostAsJsonAsync("/api/members", new { email = "TWICE@example.com", role = "admin" });

        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Bad_member_input_is_a_validation_problem_listing_each_field()
    {
        var (owner, _) = await NewOrgAsync();

        var response = await owner.PostAsJsonAsync("/api/members", new { email = "not-an-email", role = "superuser" });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("role", out _));
        Assert.Equal(1, (await JsonAsync(await owner.GetAsync("/api/members"))).GetArrayLength());
    }

    public static TheoryData<string, string> MalformedBodies() => new()
    {
        { "{\"email\": ", "application/json" },
        { "[1,2,3]", "application/json" },
        { "{\"email\": 42, \"role\": true}", "application/json" },
        { "email=a@b.co", "application/x-www-form-urlencoded" },
        { "", "application/json" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_bodies_are_4xx_problems_and_change_nothing(string body, string contentType)
    {
        var (owner, _) = await NewOrgAsync();

        var response = await owner.PostAsync("/api/members", new StringContent(body, Encoding.UTF8, contentType));

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, (await JsonAsync(await owner.GetAsync("/api/members"))).GetArrayLength());
    }

    [Fact]
    public async Task The_last_owner_cannot_be_removed_or_demoted()
    {
        var (owner, _) = await NewOrgAsync();
        var ownerId = (await JsonAsync(await owner.GetAsync("/api/members")))[0].GetProperty("id").GetString();

        await ProblemAssert.IsProblemAsync(await owner.DeleteAsync($"/api/members/{ownerId}"), HttpStatusCode.Conflict);
        await ProblemAssert.IsProblemAsync(await owner.PatchAsJsonAsync($"/api/members/{ownerId}", new { role = "admin" }), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Admins_cannot_touch_the_owner_role_and_members_cannot_manage_at_all()
    {
        var (owner, _) = await NewOrgAsync();
        var admin = await KeyClientAsync(app, owner, "admin");
        var member = await KeyClientAsync(app, owner, "member");
        var ownerId = (await JsonAsync(await owner.GetAsync("/api/members")))[0].GetProperty("id").GetString();

        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/api/members", new { email = "boss@example.com", role = "owner" }), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await admin.DeleteAsync($"/api/members/{ownerId}"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/api/api-keys", new { name = "x", role = "owner" }), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/members", new { email = "staff@example.com", role = "member" })).StatusCode);

        await ProblemAssert.IsProblemAsync(await member.GetAsync("/api/members"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await member.GetAsync("/api/api-keys"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync("/api/orgs/current")).StatusCode);
    }

    [Fact]
    public async Task A_created_key_is_shown_once_and_never_listed_with_secrets()
    {
        var (owner, _) = await NewOrgAsync();

        var created = await owner.PostAsJsonAsync("/api/api-keys", new { name = "deploy", role = "member" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Contains("no-store", created.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var key = (await JsonAsync(created)).GetProperty("key").GetString()!;
        var listText = await (await owner.GetAsync("/api/api-keys")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(key, listText, StringComparison.Ordinal);
        Assert.DoesNotContain(key[^64..], listText, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", listText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("salt", listText, StringComparison.OrdinalIgnoreCase);
        var list = JsonDocument.Parse(listText).RootElement;
        Assert.Contains(list.EnumerateArray(), k => k.GetProperty("name").GetString() == "deploy" && k.GetProperty("role").GetString() == "member");
    }

    [Fact]
    public async Task Bad_key_requests_are_validation_problems()
    {
        var (owner, _) = await NewOrgAsync();

        var problem = await ProblemAssert.IsProblemAsync(
            await owner.PostAsJsonAsync("/api/api-keys", new { name = "", role = "root" }), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _));
    }

    [Fact]
    public async Task Another_orgs_rows_are_404_through_every_endpoint()
    {
        var (ownerA, _) = await NewOrgAsync();
        var (ownerB, orgB) = await NewOrgAsync();
        var memberA = (await JsonAsync(await ownerA.PostAsJsonAsync("/api/members", new { email = "a1@example.com", role = "member" }))).GetProperty("id").GetString();
        var keyA = (await JsonAsync(await ownerA.PostAsJsonAsync("/api/api-keys", new { name = "a", role = "member" }))).GetProperty("id").GetString();

        await ProblemAssert.IsProblemAsync(await ownerB.PatchAsJsonAsync($"/api/members/{memberA}", new { role = "admin" }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await ownerB.DeleteAsync($"/api/members/{memberA}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await ownerB.DeleteAsync($"/api/api-keys/{keyA}"), HttpStatusCode.NotFound);

        var listB = await (await ownerB.GetAsync("/api/members")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("a1@example.com", listB, StringComparison.Ordinal);
        Assert.Equal(orgB, (await JsonAsync(await ownerB.GetAsync("/api/orgs/current"))).GetProperty("id").GetString());

        var stillA = await JsonAsync(await ownerA.GetAsync("/api/members"));
        Assert.Contains(stillA.EnumerateArray(), m => m.GetProperty("id").GetString() == memberA && m.GetProperty("role").GetString() == "member");
        var keysA = await JsonAsync(await ownerA.GetAsync("/api/api-keys"));
        Assert.Contains(keysA.EnumerateArray(), k => k.GetProperty("id").GetString() == keyA && !k.TryGetProperty("revokedAt", out _));
    }

    [Fact]
    public async Task Unknown_routes_are_problem_details()
    {
        var (owner, _) = await NewOrgAsync();

        await ProblemAssert.IsProblemAsync(await owner.GetAsync("/api/nope"), HttpStatusCode.NotFound);
    }
}
