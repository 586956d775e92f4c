using System.Diagnostics.CodeAnalysis;
using Hiroi.Shared.SignIn;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

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
        return TryParse(request.Headers.Cookie, out var token) ? token : null;
    }

    /// <summary>
    /// The session token in the request's Cookie header(s): exactly one <see cref="Name"/> pair whose value is a token as we
    /// issue it. Anything else is no session (never an exception): the framework's cookie reader would also take a quoted or
    /// percent-encoded spelling of the token, and the first of two cookies of the name.
    /// </summary>
    public static bool TryParse(StringValues cookieHeaders, [NotNullWhen(true)] out string? token)
    {
        token = null;
        var found = 0;
        foreach (var header in cookieHeaders)
        {
            foreach (var pair in (header ?? string.Empty).Split(';'))
            {
                var text = pair.AsSpan().Trim(' ');
                if (text.StartsWith(Name, StringComparison.Ordinal) && text.Length > Name.Length && text[Name.Length] == '=')
                {
                    found++;
                    var value = text[(Name.Length + 1)..];
                    token = SessionTokens.IsToken(value) ? value.ToString() : null;
                }
            }
        }

        if (found != 1)
        {
            token = null;
        }

        return token is not null;
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
