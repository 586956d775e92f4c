using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Protection;

/// <summary>
/// Routing's own refusals, 405 (the path has no route for this method) and 415 (the route does not take this body type),
/// answered before authorization (after the CSRF check, which still refuses a cross-site post first). They are endpoints
/// routing makes up, with no metadata, so the fallback policy treated them as console routes and an anonymous caller got
/// 401 "Sign in" (e.g. <c>text/plain</c> to <c>/auth/link</c>) instead of the real reason. Status code pages turn their
/// empty answer into problem details.
/// </summary>
public static class RoutingRefusals
{
    public static IApplicationBuilder UseRoutingRefusals(this IApplicationBuilder app) => app.Use((context, next) =>
        context.GetEndpoint() is { RequestDelegate: { } refuse } endpoint && IsRoutingRefusal(endpoint) ? refuse(context) : next(context));

    /// <summary>Every route we map is a <see cref="RouteEndpoint"/> with metadata; routing's rejection endpoints are neither.</summary>
    public static bool IsRoutingRefusal(Endpoint endpoint) =>
        endpoint is not RouteEndpoint && endpoint.Metadata.Count == 0;
}
