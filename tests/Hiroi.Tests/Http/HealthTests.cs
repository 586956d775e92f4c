using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Http;

public class HealthTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    [Fact]
    public async Task Healthz_answers_without_authentication()
    {
        var response = await app.CreateClient().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_is_200_when_storage_answers()
    {
        var response = await app.CreateClient().GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("storage").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_when_storage_is_unreachable_and_says_nothing_internal()
    {
        using var broken = new HiroiApp { StorageConnectionString = TestStorage.Unreachable() };

        var response = await broken.CreateClient().GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await broken.CreateClient().GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_storage_fault_during_a_request_is_503_not_500()
    {
        using var broken = new HiroiApp { StorageConnectionString = TestStorage.Unreachable() };
        var key = Hiroi.Shared.ApiKeys.ApiKeyFormat.Format(
            Hiroi.Shared.ApiKeys.ApiKeyFormat.NewKey(Hiroi.Shared.Tenancy.OrgId.New(), Hiroi.Shared.ApiKeys.ApiKeyFormat.NewKeyId()));

        var response = await broken.ClientWithKey(key).GetAsync("/api/orgs/current");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
    }
}
