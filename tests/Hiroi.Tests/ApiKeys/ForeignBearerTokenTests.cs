using System.Net;
using System.Net.Http.Headers;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.ApiKeys;

/// <summary>
/// ACS signs its callbacks and Event Grid its deliveries with bearer tokens that are not API keys: they are checked by
/// the route that takes them and spend none of their sender's API-key failures (else a busy call would throttle its
/// sender, and every callback would cost a counter write).
/// </summary>
public sealed class ForeignBearerTokenTests(SharedLimitsApp app) : IClassFixture<SharedLimitsApp>
{
    private const string Jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJzb21lb25lLWVsc2UifQ.c2lnbmF0dXJl";

    [Fact]
    public async Task Bearer_tokens_that_are_not_api_keys_spend_none_of_their_senders_api_key_failures()
    {
        var org = await app.CreateOrgAsync();
        var sender = SharedLimitsApp.NewIp();

        // More than the address's share of API-key failures (30), as a busy call's callbacks would bring.
        for (var i = 0; i < 40; i++)
        {
            var callback = await From(sender, Jwt).PostAsync("/api/calls/callbacks?token=v1.none", new StringContent("[]"));
            Assert.Equal(HttpStatusCode.Unauthorized, callback.StatusCode);
        }

        // A protected route still wants a key; a wrong key from that address is still judged, not throttled.
        await ProblemAssert.IsProblemAsync(await From(sender, Jwt).GetAsync("/api/orgs/current"), HttpStatusCode.Unauthorized);
        var wrong = org.OwnerApiKey[..^4] + (org.OwnerApiKey.EndsWith("aaaa", StringComparison.Ordinal) ? "bbbb" : "aaaa");
        await ProblemAssert.IsProblemAsync(await From(sender, wrong).GetAsync("/api/orgs/current"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await From(sender, org.OwnerApiKey).GetAsync("/api/orgs/current")).StatusCode);
    }

    private HttpClient From(string address, string bearer)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(SharedLimitsApp.ClientIpHeader, address);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }
}
