using System.Net;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Protection;

/// <summary>The OpenAPI document lists every console route, exactly, on both hosts.</summary>
public class OpenApiTests(BothHosts hosts) : IClassFixture<BothHosts>
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    private async Task<HashSet<string>> OperationsAsync(string host)
    {
        var response = await hosts.Client(host).GetAsync("/api/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        return document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(op => Methods.Contains(op.Name)).Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet(StringComparer.Ordinal);
    }

    [Theory]
    [InlineData("self")]
    [InlineData("functions")]
    public async Task The_document_lists_every_route_a_credential_calls_and_nothing_else(string host)
    {
        var routes = host == "self" ? RouteTable.Of(hosts.SelfHost.Services) : hosts.Functions.App.Routes;
        var expected = routes.Where(r => !r.Anonymous).Select(r => $"{r.Method} {r.Route.TrimEnd('/')}").ToHashSet(StringComparer.Ordinal);
        Assert.True(expected.Count > 30);

        var listed = await OperationsAsync(host);

        Assert.Equal(expected.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Both_hosts_serve_the_same_operations()
    {
        Assert.Equal((await OperationsAsync("self")).Order(StringComparer.Ordinal), (await OperationsAsync("functions")).Order(StringComparer.Ordinal));
    }
}
