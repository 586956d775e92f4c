using System.Security.Claims;
using System.Text.Encodings.Web;
using Hiroi.Endpoints.SignIn;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Auth;

/// <summary>
/// The console session cookie. A live session always names its person; once every sign-in step is done and an org is
/// chosen, it is also an org caller (<c>member:{id}</c> with the member's role), so every console route serves it as it
/// serves an API key. State-changing requests by cookie must also pass <see cref="CsrfProtection"/>.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    SignInSessionStore sessions,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Session";
    public const string AccountClaim = "hiroi:account";
    public const string CompleteClaim = "hiroi:complete";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = SessionCookie.Read(Request);
        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }

        var session = await sessions.FindAsync(token, Context.RequestAborted);
        if (session is null)
        {
            return AuthenticateResult.Fail("The session has ended.");
        }

        SessionCookie.SetCurrent(Context, session);
        return AuthenticateResult.Success(new AuthenticationTicket(ToPrincipal(session.Row), SchemeName));
    }

    private static ClaimsPrincipal ToPrincipal(SignInSessionEntity row)
    {
        var principal = row.IsComplete && OrgId.TryParse(row.OrgId, out var org) && Roles.TryParse(row.Role, out var role)
            ? CallerClaims.ToPrincipal(new Caller(org, "member:" + row.MemberId, role), SchemeName)
            : new ClaimsPrincipal(new ClaimsIdentity(SchemeName, CallerClaims.Actor, ClaimTypes.Role));
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.AddClaim(new Claim(AccountClaim, row.AccountId));
        if (row.IsComplete)
        {
            identity.AddClaim(new Claim(CompleteClaim, "true"));
        }

        return principal;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteAsync(Context, problems, StatusCodes.Status401Unauthorized, "Unauthorized", "Your session has ended; sign in again.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteAsync(Context, problems, StatusCodes.Status403Forbidden, "Forbidden",
            "This needs a complete sign-in (second factor, then an org) and a role that allows it.");
}
