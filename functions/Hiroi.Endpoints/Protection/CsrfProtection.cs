using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.SignIn;
using Hiroi.Shared.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Hiroi.Endpoints.Protection;

/// <summary>
/// Cross-site request forgery. A state-changing request to a protected route, authenticated by the session cookie, must
/// carry the session's CSRF token in <c>X-CSRF-Token</c> and come from our own origin (<c>Origin</c>, or
/// <c>Sec-Fetch-Site: same-origin</c>). Sign-in requests are refused when a browser says they come from another origin
/// (login CSRF).
/// Bearer API-key requests carry no ambient credential and are unchanged. Refusals are 403 problem details.
/// </summary>
public static class CsrfProtection
{
    public const string HeaderName = "X-CSRF-Token";

    public static IApplicationBuilder UseCsrfProtection(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        {
            await next(context);
            return;
        }

        var session = SessionCookie.Current(context);
        var console = context.RequestServices.GetRequiredService<IOptions<SignInOptions>>().Value.PublicBaseUrl;
        // Anonymous routes (sign-in, the widget, webhooks) do not act on the cookie's authority, so it needs no token there.
        var actsAsSession = session is not null && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null;
        string? refusal = null;
        if (actsAsSession)
        {
            if (!SessionTokens.IsCsrfFor(session!.Token, request.Headers[HeaderName]))
            {
                refusal = $"A request signed in by cookie needs the session's CSRF token in {HeaderName}.";
            }
            else if (!IsSameOrigin(request, console, requireEvidence: true))
            {
                refusal = "A request signed in by cookie must come from the console's own origin.";
            }
        }
        else if (request.Path.StartsWithSegments("/auth") && !IsSameOrigin(request, console, requireEvidence: false))
        {
            refusal = "Sign-in requests must come from the console's own origin.";
        }

        if (refusal is null)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = 403, Title = "Cross-site request refused", Detail = refusal },
        });
    });

    /// <summary>
    /// Whether the browser says the request comes from this origin (or the configured console origin). Without either
    /// header (a non-browser client) it counts as same-origin only when <paramref name="requireEvidence"/> is off.
    /// </summary>
    private static bool IsSameOrigin(HttpRequest request, string consoleOrigin, bool requireEvidence)
    {
        string? origin = request.Headers[HeaderNames.Origin];
        if (!string.IsNullOrEmpty(origin))
        {
            var own = request.Scheme + "://" + request.Host.Value;
            return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
                || (Uri.TryCreate(consoleOrigin, UriKind.Absolute, out var console)
                    && string.Equals(origin, console.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase));
        }

        string? site = request.Headers["Sec-Fetch-Site"];
        if (!string.IsNullOrEmpty(site))
        {
            return site is "same-origin" or "none";
        }

        return !requireEvidence;
    }
}
