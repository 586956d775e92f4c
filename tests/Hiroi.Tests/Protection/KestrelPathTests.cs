using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Protection;

/// <summary>
/// Odd paths against the real server (Kestrel in the built self-host), where the test server's client cannot send them.
/// A %00 never reaches the app: Kestrel's request-line decoder refuses it and answers 400 itself, with no body and no
/// hook to write one (the review's "400 with an empty body" for <c>GET /api/agents/%00</c>). Every path that does reach
/// the app answers problem details, whatever the client accepts.
/// </summary>
public sealed class KestrelPathTests : IAsyncLifetime
{
    private readonly SelfHostProcess _server = new();
    private string _ownerKey = string.Empty;

    public async Task InitializeAsync()
    {
        var created = JsonDocument.Parse(await _server.CliAsync("org", "create", "Paths", "--owner", "paths@example.com", "--json")).RootElement;
        _ownerKey = created.GetProperty("apiKey").GetString()!;
        await _server.StartAsync();
    }

    public Task DisposeAsync()
    {
        _server.Dispose();
        return Task.CompletedTask;
    }

    private HttpClient Client(string? accept, bool owner = true)
    {
        var client = new HttpClient { BaseAddress = _server.BaseAddress };
        if (owner)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _ownerKey);
        }

        if (accept is not null)
        {
            client.DefaultRequestHeaders.Accept.ParseAdd(accept);
        }

        return client;
    }

    [Fact]
    public async Task A_null_in_the_path_is_refused_by_kestrel_and_every_other_odd_path_gets_problem_details()
    {
        using (var plain = Client(accept: null))
        {
            var refused = await plain.GetAsync("/api/agents/%00");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(0, refused.Content.Headers.ContentLength); // Kestrel's own answer: the app never saw the request
        }

        var failures = new List<string>();
        foreach (var accept in new string?[] { null, "text/html", "text/plain" })
        {
            foreach (var owner in new[] { true, false })
            {
                using var client = Client(accept, owner);
                foreach (var path in new[] { "/api/agents/%01", "/api/agents/%7F", "/api/agents/%FF", "/api/agents/%C0%AF", "/api/agents/a%2Fb", "/api/agents/%E2%80%AE",
                    "/api/agents/%20", "/widget/v1/keys/%01/sessions", "/auth/sessions/%0A" })
                {
                    var response = await client.GetAsync(path);
                    var status = (int)response.StatusCode;
                    if (status is < 400 or >= 500 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    {
                        failures.Add($"{(owner ? "owner" : "anonymous")} Accept {accept ?? "-"} GET {path}: {status} {response.Content.Headers.ContentType}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + _server.LogTail);
    }
}
