using System.Text.Json;
using Hiroi.Durable.Workflows;
using Hiroi.Server.Cli;
using Hiroi.Server.Realtime;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Functions;

/// <summary>
/// The two hosts cannot drift: the Functions app has an HTTP function for every route of the self-host, with the same
/// method, path and name (and so the same endpoint and policies, which the function runs by name), and nothing else;
/// and the Worker SDK's generated metadata, which the Functions host indexes, says the same. The functions themselves
/// are generated from the route table and the workflow lists, and the checked-in file must be the current rendering.
/// The one exception is listed, with its reason, in <see cref="SelfHostOnlyRoutes"/>.
/// </summary>
public class HostParityTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private static string Normalize(string route) => "/" + route.Trim('/');

    private static IReadOnlyList<FunctionEntry> HttpFunctions => [.. FunctionsApp.Functions.Where(f => f.Trigger == "httpTrigger")];

    /// <summary>
    /// Routes only the self-host serves. The realtime media socket: Azure Functions cannot serve a WebSocket, so ACS
    /// streams realtime calls to the self-host on Container Apps, whichever host answered them (README, Realtime voice).
    /// </summary>
    private static readonly string[] SelfHostOnlyRoutes = ["GET /api/calls/media StreamCallMedia"];

    [Fact]
    public void The_self_host_only_routes_are_exactly_the_listed_ones_each_marked_with_its_reason()
    {
        var marked = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<SelfHostOnly>() is { Reason.Length: > 0 })
            .SelectMany(e => RouteTable.Of([e]))
            .Select(r => $"{r.Method} {Normalize(r.Route)} {r.Name}");

        Assert.Equal(SelfHostOnlyRoutes.Order(StringComparer.Ordinal), marked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_self_host_route_is_an_http_function_with_the_same_method_path_and_name_and_no_more()
    {
        var selfHost = RouteTable.Of(app.Services).Select(r => $"{r.Method} {Normalize(r.Route)} {r.Name}").Except(SelfHostOnlyRoutes).ToHashSet(StringComparer.Ordinal);
        var functions = HttpFunctions.Select(f => $"{f.HttpMethod} {Normalize(f.Route!)} {f.Name}").ToHashSet(StringComparer.Ordinal);

        Assert.True(selfHost.Count > 40);
        Assert.Equal(selfHost.Order(StringComparer.Ordinal), functions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_generated_functions_metadata_lists_each_http_function_at_its_route_with_no_route_prefix()
    {
        var output = Path.GetDirectoryName(typeof(Hiroi.Functions.FunctionsProgram).Assembly.Location)!;
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "functions.metadata")));
        var generated = metadata.RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger")
                .Select(b => $"{b.GetProperty("methods")[0].GetString()!.ToUpperInvariant()} {b.GetProperty("route").GetString()} {f.GetProperty("name").GetString()}"))
            .ToHashSet(StringComparer.Ordinal);
        var declared = HttpFunctions.Select(f => $"{f.HttpMethod} {f.Route} {f.Name}").ToHashSet(StringComparer.Ordinal);
        Assert.Equal(declared.Order(StringComparer.Ordinal), generated.Order(StringComparer.Ordinal));

        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestStorage.RepoRoot(), "host.json")));
        Assert.Equal(string.Empty, host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void The_checked_in_functions_are_what_the_route_table_and_workflow_lists_generate()
    {
        var routes = HttpRoute.Of(app.Services.GetRequiredService<EndpointDataSource>().Endpoints);
        var generated = FunctionsSource.Render(routes, HiroiWorkflows.Orchestrators, HiroiWorkflows.Activities);

        var checkedIn = File.ReadAllText(Path.Combine(TestStorage.RepoRoot(), FunctionsSource.DefaultPath)).ReplaceLineEndings("\n");
        Assert.True(
            generated == checkedIn,
            $"{FunctionsSource.DefaultPath} is not what the route table and HiroiWorkflows generate. From the repository root run\n"
            + $"  {FunctionsSource.Command}\nand commit the file.");
    }
}
