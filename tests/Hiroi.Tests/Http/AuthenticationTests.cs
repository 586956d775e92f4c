using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Http;

public class AuthenticationTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    [Fact]
    public async Task The_bootstrap_key_reads_its_own_org()
    {
        var org = await app.CreateOrgAsync("Acme Rockets");

        var response = await app.ClientWithKey(org.OwnerApiKey).GetAsync("/api/orgs/current");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(org.OrgId.Value, body.GetProperty("id").GetString());
        Assert.Equal("Acme Rockets", body.GetProperty("name").GetString());
        Assert.Equal("owner", body.GetProperty("yourRole").GetString());
    }

    [Fact]
    public async Task No_key_is_401_with_a_bearer_challenge()
    {
        var response = await app.CreateClient().GetAsync("/api/orgs/current");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    public static TheoryData<string> WrongCredentials() => new()
    {
        "Bearer hiroi_sk_nope",
        "Bearer " + ApiKeyFormat.Format(ApiKeyFormat.NewKey(OrgId.New(), ApiKeyFormat.NewKeyId())),
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "hiroi_sk_without_scheme",
    };

    [Theory]
    [MemberData(nameof(WrongCredentials))]
    public async Task Wrong_credentials_are_401_and_say_nothing_about_why(string authorization)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        var response = await client.GetAsync("/api/orgs/current");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.DoesNotContain("hiroi_sk_", problem.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_secret_for_a_real_key_id_is_401()
    {
        var org = await app.CreateOrgAsync();
        var wrong = org.OwnerApiKey[..^8] + "00000000";

        var response = await app.ClientWithKey(wrong == org.OwnerApiKey ? org.OwnerApiKey[..^8] + "11111111" : wrong).GetAsync("/api/orgs/current");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_revoked_key_is_401_at_once()
    {
        var org = await app.CreateOrgAsync();
        var owner = app.ClientWithKey(org.OwnerApiKey);
        var created = await (await owner.PostAsJsonAsync("/api/api-keys", new { name = "temp", role = "admin" })).Content.ReadFromJsonAsync<JsonElement>();
        var key = created.GetProperty("key").GetString()!;
        var temp = app.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await temp.GetAsync("/api/orgs/current")).StatusCode);

        var revoke = await owner.DeleteAsync($"/api/api-keys/{created.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await ProblemAssert.IsProblemAsync(await temp.GetAsync("/api/orgs/current"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Repeated_failures_for_one_key_id_are_throttled_with_retry_after()
    {
        var org = await app.CreateOrgAsync();
        var wrong = app.ClientWithKey(org.OwnerApiKey[..^4] + (org.OwnerApiKey.EndsWith("aaaa", StringComparison.Ordinal) ? "bbbb" : "aaaa"));

        HttpResponseMessage last = null!;
        for (var i = 0; i < 11; i++)
        {
            last = await wrong.GetAsync("/api/orgs/current");
        }

        await ProblemAssert.IsProblemAsync(last, HttpStatusCode.TooManyRequests);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }
}
