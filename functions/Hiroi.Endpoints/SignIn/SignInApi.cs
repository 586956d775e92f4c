using System.Globalization;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.SignIn;

public sealed record EmailRequest(string? Email);

public sealed record LinkRequest(string? Token);

public sealed record CodeRequest(string? Email, string? Code);

public sealed record ChooseOrgRequest(string? OrgId);

public sealed record MembershipResponse(string OrgId, string Name, string Role);

/// <summary>
/// The session as its person sees it. <c>next</c> says what sign-in still asks: <c>secondFactor</c> (a TOTP or recovery
/// code), <c>chooseOrg</c>, or <c>ready</c>. <c>csrfToken</c> goes in <c>X-CSRF-Token</c> on every state-changing request.
/// </summary>
public sealed record SessionResponse(
    string Id, string Method, string Next, bool TotpEnabled, bool TwoFactorShown, string? OrgId, string? Role, string CsrfToken, DateTimeOffset ExpiresAt,
    IReadOnlyList<MembershipResponse> Orgs);

public sealed record SessionSummary(string Id, string Method, bool Current, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, string? OrgId, string? UserAgent);

/// <summary>
/// Console sign-in by email: ask for a link or a code (always 202, the same answer whether the address has an account),
/// complete it for a session cookie, choose an org, sign out; list and revoke one's own sessions. Refusals of links and
/// codes are one 401 whatever was wrong; too many failures are 429 with Retry-After.
/// </summary>
public static class SignInApi
{
    private const string Accepted = "If the address has an account, a mail is on its way.";

    public static IEndpointRouteBuilder MapSignIn(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup("/auth").WithTags("Sign-in").AllowAnonymous();
        open.MapPost("/link", RequestLinkAsync).WithName("RequestSignInLink");
        open.MapPost("/link/complete", CompleteLinkAsync).WithName("CompleteSignInLink");
        open.MapPost("/code", RequestCodeAsync).WithName("RequestSignInCode");
        open.MapPost("/code/complete", CompleteCodeAsync).WithName("CompleteSignInCode");

        var person = app.MapGroup("/auth").WithTags("Sign-in").RequireAuthorization(Policies.SignedIn);
        person.MapGet("/session", GetSessionAsync).WithName("GetSignInSession");
        person.MapDelete("/session", SignOutAsync).WithName("SignOut");
        person.MapPost("/session/org", ChooseOrgAsync).WithName("ChooseSignInOrg");

        var complete = app.MapGroup("/auth").WithTags("Sign-in").RequireAuthorization(Policies.SignedInComplete);
        complete.MapGet("/sessions", ListSessionsAsync).WithName("ListMySessions");
        complete.MapDelete("/sessions/{sessionId}", RevokeSessionAsync).WithName("RevokeMySession");
        complete.MapGet("/account/export", ExportAccountAsync).WithName("ExportMyAccount");
        return app;
    }

    public static SignInClient Client(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new SignInClient(
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown", context.Request.Headers.UserAgent.ToString(), DeviceCookie.Read(context.Request));
    }

    public static Task<IResult> RequestLinkAsync(EmailRequest request, HttpContext context, ConsoleSignIn signIn, CancellationToken cancellationToken) =>
        RequestMailAsync(request, SignInMailKind.Link, context, signIn, cancellationToken);

    public static Task<IResult> RequestCodeAsync(EmailRequest request, HttpContext context, ConsoleSignIn signIn, CancellationToken cancellationToken) =>
        RequestMailAsync(request, SignInMailKind.Code, context, signIn, cancellationToken);

    private static async Task<IResult> RequestMailAsync(EmailRequest request, SignInMailKind kind, HttpContext context, ConsoleSignIn signIn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MemberEmails.TryNormalize(request.Email, out var email))
        {
            return TypedResults.ValidationProblem(new Validation().Add("email", "must be an email address").Errors);
        }

        var decision = await signIn.RequestMailAsync(email, kind, Client(context), cancellationToken);
        return decision.Allowed ? TypedResults.Accepted((string?)null, new { message = Accepted }) : TooMany(context, decision.RetryAt);
    }

    public static async Task<IResult> CompleteLinkAsync(
        LinkRequest request, HttpContext context, ConsoleSignIn signIn, SessionViews views, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await signIn.CompleteLinkAsync(request.Token, Client(context), cancellationToken);
        return await SignedInAsync(result, "The link is not valid: it may have expired or been used. Ask for a new one.", context, views, cancellationToken);
    }

    public static async Task<IResult> CompleteCodeAsync(
        CodeRequest request, HttpContext context, ConsoleSignIn signIn, SessionViews views, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MemberEmails.TryNormalize(request.Email, out var email))
        {
            return TypedResults.ValidationProblem(new Validation().Add("email", "must be an email address").Errors);
        }

        var result = await signIn.CompleteCodeAsync(email, request.Code?.Trim(), Client(context), cancellationToken);
        return await SignedInAsync(result, "The code is not valid: it may be wrong, expired or used. Ask for a new one.", context, views, cancellationToken);
    }

    /// <summary>Sets the new session's cookie and answers with the session, or the refusal.</summary>
    public static async Task<IResult> SignedInAsync(SignInResult result, string refusal, HttpContext context, SessionViews views, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(views);
        switch (result.Outcome)
        {
            case SignInOutcome.Throttled:
                return TooMany(context, result.RetryAt);
            case SignInOutcome.Refused:
                return TypedResults.Problem(statusCode: 401, title: "Sign-in refused", detail: refusal);
            default:
                SessionCookie.Write(context.Response, result.Session!);
                await DeviceCookie.RememberAsync(context, result.Session!, cancellationToken);
                return TypedResults.Ok(await views.DescribeAsync(result.Session!, cancellationToken));
        }
    }

    public static async Task<IResult> GetSessionAsync(HttpContext context, SessionViews views, CancellationToken cancellationToken) =>
        SessionCookie.Current(context) is { } session ? TypedResults.Ok(await views.DescribeAsync(session, cancellationToken)) : NoSession();

    public static async Task<IResult> SignOutAsync(HttpContext context, ConsoleSignIn signIn, CancellationToken cancellationToken)
    {
        if (SessionCookie.Current(context) is not { } session)
        {
            return NoSession();
        }

        await signIn.SignOutAsync(session, cancellationToken);
        SessionCookie.Clear(context.Response);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> ChooseOrgAsync(
        ChooseOrgRequest request, HttpContext context, ConsoleSignIn signIn, SessionViews views, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (SessionCookie.Current(context) is not { } session)
        {
            return NoSession();
        }

        if (!OrgId.TryParse(request.OrgId, out var org))
        {
            return TypedResults.ValidationProblem(new Validation().Add("orgId", "must be an org id").Errors);
        }

        return await signIn.ChooseOrgAsync(session, org, cancellationToken) switch
        {
            OrgChoice.Chosen => TypedResults.Ok(await views.DescribeAsync(session, cancellationToken)),
            OrgChoice.SecondFactorFirst => TypedResults.Problem(statusCode: 403, title: "Second factor needed", detail: "Enter a code from your authenticator app first."),
            OrgChoice.OrgRequiresTwoFactor => TypedResults.Problem(statusCode: 403, title: "Two-factor required",
                detail: "This org requires two-factor authentication: turn on TOTP (or sign in with a passkey) first."),
            _ => OrgProblems.NotFound("org"),
        };
    }

    public static async Task<IResult> ListSessionsAsync(HttpContext context, SignInSessionStore sessions, CancellationToken cancellationToken)
    {
        if (SessionCookie.Current(context) is not { } current)
        {
            return NoSession();
        }

        var mine = await sessions.ListAsync(current.Row.AccountId, cancellationToken);
        return TypedResults.Ok(mine.Select(s => new SessionSummary(
            SessionIndexEntity.Prefix + s.PartitionKey, s.Method, s.PartitionKey == current.Hash, s.CreatedAt, s.LastSeenAt, s.OrgId, s.UserAgent)).ToArray());
    }

    public static async Task<IResult> RevokeSessionAsync(string sessionId, HttpContext context, ConsoleSignIn signIn, CancellationToken cancellationToken)
    {
        if (SessionCookie.Current(context) is not { } current)
        {
            return NoSession();
        }

        if (!await signIn.RevokeOwnAsync(current, sessionId, cancellationToken))
        {
            return OrgProblems.NotFound("session");
        }

        if (sessionId == current.PublicId)
        {
            SessionCookie.Clear(context.Response);
        }

        return TypedResults.NoContent();
    }

    /// <summary>The person's own account data, as a download (the platform's part of a subject access request).</summary>
    public static async Task<IResult> ExportAccountAsync(HttpContext context, AccountExport export, CancellationToken cancellationToken)
    {
        if (SessionCookie.Current(context) is not { } current)
        {
            return NoSession();
        }

        if (await export.ExportAsync(current, cancellationToken) is not { } data)
        {
            return OrgProblems.NotFound("account");
        }

        context.Response.Headers.ContentDisposition = "attachment; filename=\"hiroi-account.json\"";
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(data);
    }

    public static IResult TooMany(HttpContext context, DateTimeOffset retryAt)
    {
        ArgumentNullException.ThrowIfNull(context);
        var seconds = Math.Max(1, (int)Math.Ceiling((retryAt - DateTimeOffset.UtcNow).TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: 429, title: "Too many attempts", detail: "Wait before trying again.");
    }

    /// <summary>An API key on a route for people: it has no session to act on.</summary>
    internal static ProblemHttpResult NoSession() =>
        TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: "This route is for people signed in to the console, not API keys.");
}
