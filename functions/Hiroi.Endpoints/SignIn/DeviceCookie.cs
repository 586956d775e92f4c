using Hiroi.Shared.SignIn;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.SignIn;

/// <summary>
/// The trusted-device cookie (<see cref="TrustedDevices"/>): set once a sign-in is complete, so this browser's later
/// tries and sign-in mails are counted as the person's own, apart from what strangers can use up. <c>__Host-</c>
/// prefixed, HttpOnly, SameSite=Strict (only the console's own requests carry it); it lives
/// <see cref="TrustedDevices.Lifetime"/> and opens nothing by itself.
/// </summary>
public static class DeviceCookie
{
    public const string Name = "__Host-hiroi-device";

    public static string? Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Cookies[Name];
    }

    /// <summary>Marks the browser as the person's device once <paramref name="session"/> has shown every factor, unless it already is.</summary>
    public static async Task RememberAsync(HttpContext context, ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        if (!session.Row.IsComplete)
        {
            return;
        }

        var devices = context.RequestServices.GetRequiredService<TrustedDevices>();
        if (await devices.DeviceOfAsync(Read(context.Request), session.Row.AccountId, cancellationToken) is not null
            || await devices.IssueAsync(session.Row.AccountId, cancellationToken) is not { } value)
        {
            return;
        }

        context.Response.Cookies.Append(Name, value, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true, MaxAge = TrustedDevices.Lifetime,
        });
    }
}
