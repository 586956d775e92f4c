using Hiroi.Shared.SignIn;
using Microsoft.AspNetCore.Http;

namespace Hiroi.Endpoints.Auth;

/// <summary>
/// The session cookie: <c>__Host-</c> prefixed (so it is Secure, host-only and path /, and no subdomain can plant one),
/// HttpOnly (script cannot read it), SameSite=Lax (cross-site posts do not carry it). It has no Expires: the browser
/// drops it when it closes, and the server enforces the idle and absolute timeouts whatever the browser keeps.
/// </summary>
public static class SessionCookie
{
    public const string Name = "__Host-hiroi-session";

    private const string SessionItem = "hiroi.session";

    public static string? Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Cookies[Name];
    }

    public static void Write(HttpResponse response, ActiveSession session)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(session);
        response.Cookies.Append(Name, session.Token, Options());
    }

    public static void Clear(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Cookies.Delete(Name, Options());
    }

    private static CookieOptions Options() => new() { HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax, Path = "/", IsEssential = true };

    /// <summary>The session the request was authenticated by (null for API keys and anonymous requests).</summary>
    public static ActiveSession? Current(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items[SessionItem] as ActiveSession;
    }

    internal static void SetCurrent(HttpContext context, ActiveSession session) => context.Items[SessionItem] = session;
}
