using System.Collections.Frozen;
using Hiroi.Endpoints.Hosting;
using Hiroi.Endpoints.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.SignIn;

/// <summary>
/// The console's sign-in and security pages: static HTML, scripts and a stylesheet read once from the assembly, served
/// under a CSP that allows this origin's scripts and nothing inline. Every flow they drive is also a JSON API.
/// </summary>
public static class ConsolePages
{
    public const string PageContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly FrozenDictionary<string, StaticAsset> Assets = new[]
    {
        ("signin.html", "text/html; charset=utf-8"), ("link.html", "text/html; charset=utf-8"), ("security.html", "text/html; charset=utf-8"),
        ("console.js", "text/javascript; charset=utf-8"), ("signin.js", "text/javascript; charset=utf-8"), ("link.js", "text/javascript; charset=utf-8"),
        ("security.js", "text/javascript; charset=utf-8"), ("passkeys.js", "text/javascript; charset=utf-8"), ("console.css", "text/css; charset=utf-8"),
    }.ToFrozenDictionary(a => a.Item1, a => StaticAsset.Load("Console." + a.Item1, a.Item2), StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapConsolePages(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup("/console").WithTags("Console pages").AllowAnonymous().ExcludeFromDescription();
        console.MapGet("/signin", (HttpContext context) => Serve(context, "signin.html")).WithName("ConsoleSignInPage");
        console.MapGet("/link", (HttpContext context) => Serve(context, "link.html")).WithName("ConsoleLinkPage");
        console.MapGet("/security", (HttpContext context) => Serve(context, "security.html")).WithName("ConsoleSecurityPage");
        console.MapGet("/assets/{name}", (string name, HttpContext context) => Serve(context, name)).WithName("ConsoleAsset");
        return app;
    }

    private static IResult Serve(HttpContext context, string name)
    {
        if (!Assets.TryGetValue(name, out var asset) || (context.Request.Path.StartsWithSegments("/console/assets") && name.EndsWith(".html", StringComparison.Ordinal)))
        {
            return TypedResults.NotFound();
        }

        context.Response.Headers.ContentSecurityPolicy = PageContentSecurityPolicy;
        return asset.Serve(context, cacheSeconds: 0);
    }
}
