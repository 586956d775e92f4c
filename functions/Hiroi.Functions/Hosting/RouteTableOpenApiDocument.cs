using Hiroi.Endpoints.Hosting;
using Hiroi.Endpoints.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Functions.Hosting;

/// <summary>
/// The OpenAPI document in the Functions app. The worker dispatches HTTP by invocation, so its API explorer sees none of
/// the routes; the document is made once, on first request, from an unstarted ASP.NET Core app with the same services
/// and the same route table (<see cref="HiroiHostingExtensions.MapHiroi"/>), then kept. Nothing of that app runs.
/// </summary>
public sealed class RouteTableOpenApiDocument(IConfiguration configuration) : IOpenApiDocumentSource
{
    private readonly BuiltOnce _json = new(() => BuildAsync(configuration));

    public Task<string> GetJsonAsync(CancellationToken cancellationToken) => _json.GetAsync(cancellationToken);

    private static async Task<string> BuildAsync(IConfiguration configuration)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddHiroiCore(builder.Configuration);
        await using var app = builder.Build();
        // Mapped through UseEndpoints, which hands the route table to the app's endpoint data source (the one the API
        // explorer reads) without starting anything.
        app.UseRouting();
#pragma warning disable ASP0014 // Top-level routes reach the data source only when the app starts, and this one never does.
        app.UseEndpoints(endpoints => endpoints.MapHiroi());
#pragma warning restore ASP0014
        return await app.Services.GetRequiredService<IOpenApiDocumentSource>().GetJsonAsync(CancellationToken.None);
    }
}
