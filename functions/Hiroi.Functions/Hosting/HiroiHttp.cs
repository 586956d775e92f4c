using Hiroi.Endpoints.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Hosting;

/// <summary>
/// Runs a <see cref="HiroiHostingExtensions.MapHiroi"/> endpoint, found by its name, inside the Functions app: the
/// same request delegate (binding, filters, results) behind the same middleware (<see cref="HiroiHostingExtensions.UseHiroi"/>:
/// problem details, authentication, the endpoint's own authorization policies), so an HTTP function behaves as its
/// route does in the self-host. The worker's ASP.NET Core integration runs no authentication or authorization of its
/// own (Azure/azure-functions-dotnet-worker#1725), hence the pipeline here.
/// </summary>
public sealed class HiroiHttp
{
    private readonly IReadOnlyDictionary<string, (RouteEndpoint Endpoint, TemplateMatcher Matcher)> _endpoints;
    private readonly RequestDelegate _pipeline;

    public HiroiHttp(IServiceProvider services)
    {
        var routes = new RouteCatalog(services);
        routes.MapHiroi();
        _endpoints = routes.DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null)
            .ToDictionary(
                e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName,
                e => (e, new TemplateMatcher(TemplateParser.Parse(e.RoutePattern.RawText!.TrimStart('/')), new RouteValueDictionary())),
                StringComparer.Ordinal);
        var app = new ApplicationBuilder(services);
        app.UseHiroi();
        app.Run(context => context.GetEndpoint()!.RequestDelegate!(context));
        _pipeline = app.Build();
    }

    /// <summary>The route table's endpoints, with their names and authorization metadata.</summary>
    public IReadOnlyCollection<RouteEndpoint> Endpoints => [.. _endpoints.Values.Select(e => e.Endpoint)];

    /// <summary>Runs the endpoint <paramref name="name"/> for this request, with the host's Durable Task client bound to it.</summary>
    public async Task<IResult> RunAsync(string name, HttpRequest request, DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (endpoint, matcher) = _endpoints.TryGetValue(name, out var found)
            ? found
            : throw new InvalidOperationException($"No endpoint is named '{name}'.");
        var context = request.HttpContext;
        // Route values from the endpoint's own template, whatever the trigger's route parser made of them.
        var values = new RouteValueDictionary();
        if (matcher.TryMatch(request.Path, values))
        {
            foreach (var (key, value) in values)
            {
                request.RouteValues[key] = value;
            }
        }

        context.SetEndpoint(endpoint);
        using (InvocationDurableClient.Bind(client))
        {
            await _pipeline(context).ConfigureAwait(false);
        }

        return Results.Empty; // the pipeline has written the response
    }

    /// <summary>Collects what <see cref="HiroiHostingExtensions.MapHiroi"/> maps, outside any web host.</summary>
    private sealed class RouteCatalog(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => services;

        public ICollection<EndpointDataSource> DataSources { get; } = [];

        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(services);
    }
}
