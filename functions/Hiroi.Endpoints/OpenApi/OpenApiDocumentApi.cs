using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;

namespace Hiroi.Endpoints.OpenApi;

/// <summary>Where the OpenAPI document's JSON comes from in this host.</summary>
public interface IOpenApiDocumentSource
{
    Task<string> GetJsonAsync(CancellationToken cancellationToken);
}

/// <summary>The document of this app's own endpoints, through its API explorer (the self-host); made once, as routes never change.</summary>
public sealed class ApiExplorerOpenApiDocument([FromKeyedServices(OpenApiDocumentApi.DocumentName)] IOpenApiDocumentProvider documents) : IOpenApiDocumentSource
{
    private readonly BuiltOnce _json = new(async () =>
        // The library's writer writes synchronously: it serializes to text here, never onto a response stream.
        await (await documents.GetOpenApiDocumentAsync(CancellationToken.None)).SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, CancellationToken.None));

    public Task<string> GetJsonAsync(CancellationToken cancellationToken) => _json.GetAsync(cancellationToken);
}

/// <summary>Text built on first use and kept; a build that failed is tried again next time rather than kept.</summary>
public sealed class BuiltOnce(Func<Task<string>> build)
{
    private Task<string>? _built;

    public Task<string> GetAsync(CancellationToken cancellationToken)
    {
        var built = Volatile.Read(ref _built);
        if (built is null || built.IsFaulted || built.IsCanceled)
        {
            // Two first callers may both build; the same text either way.
            built = build();
            Volatile.Write(ref _built, built);
        }

        return built.WaitAsync(cancellationToken);
    }
}

/// <summary>
/// <c>GET /api/openapi.json</c>: the OpenAPI 3.1 document of the console API (every route a credential calls; the
/// webhook, call callbacks and health probes are for Event Grid, ACS and load balancers, not for clients). It is an
/// endpoint of the one route table rather than <c>MapOpenApi</c>, so the Functions app serves it as a function too.
/// </summary>
public static class OpenApiDocumentApi
{
    public const string DocumentName = "v1";
    public const string Route = "/api/openapi.json";

    public static IServiceCollection AddHiroiOpenApi(this IServiceCollection services)
    {
        services.TryAddSingleton<IOpenApiDocumentSource, ApiExplorerOpenApiDocument>();
        return services.AddOpenApi(DocumentName, options =>
        {
            options.ShouldInclude = description =>
                !description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any();
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Hiroi console API",
                    Version = "1",
                    Description = "Authenticate with `Authorization: Bearer hiroi_sk_…` (an org API key). Errors are RFC 9457 problem details.",
                };
                return Task.CompletedTask;
            });
        });
    }

    public static IEndpointRouteBuilder MapOpenApiDocument(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, WriteAsync).WithName("GetOpenApiDocument").AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    public static async Task WriteAsync(HttpContext context, IOpenApiDocumentSource documents)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(documents);
        var json = await documents.GetJsonAsync(context.RequestAborted);
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }
}
