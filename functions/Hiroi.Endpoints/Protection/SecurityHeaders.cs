using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Hiroi.Endpoints.Protection;

/// <summary>
/// Headers every response carries, set as the response starts so error pages and problem details get them too. The API
/// serves JSON, never a page: its CSP forbids loading or framing anything. HSTS only over HTTPS (browsers ignore it on
/// http, and it must not pin a local http run). A response to a request that carried credentials is never cached.
/// </summary>
public static class SecurityHeaders
{
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
    public const string StrictTransportSecurity = "max-age=31536000; includeSubDomains";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(static state => Apply((HttpContext)state), context);
        return next(context);
    });

    private static Task Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        if (!headers.ContainsKey(HeaderNames.ContentSecurityPolicy))
        {
            headers.ContentSecurityPolicy = ApiContentSecurityPolicy;
        }

        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = StrictTransportSecurity;
        }

        if (CarriedCredentials(context))
        {
            headers.CacheControl = "no-store";
        }

        return Task.CompletedTask;
    }

    private static bool CarriedCredentials(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true
        || context.Request.Headers.ContainsKey(HeaderNames.Authorization)
        || context.Request.Headers.ContainsKey(HeaderNames.Cookie);
}
