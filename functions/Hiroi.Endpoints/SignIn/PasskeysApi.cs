using System.Text.Json;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.SignIn;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.SignIn;

/// <param name="FlowId">The id the ceremony's start answered with.</param>
/// <param name="Credential">The <c>PublicKeyCredential</c> as JSON (binary fields base64url), as <c>toJSON()</c> gives it.</param>
public sealed record PasskeyCompletion(string? FlowId, JsonElement Credential, string? Name);

public sealed record PasskeyResponse(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, bool BackedUp)
{
    public static PasskeyResponse From(PasskeyEntity p) => new(p.RowKey, p.Name, p.CreatedAt, p.LastUsedAt, p.BackedUp);
}

/// <summary>
/// Passkeys: a signed-in person registers (several, named) and removes theirs; anyone starts a usernameless sign-in and
/// completes it with an assertion, which counts as both factors. Each ceremony is a start (options and a flow id) and a
/// completion (the browser's credential).
/// </summary>
public static class PasskeysApi
{
    public const int MaxNameLength = 60;

    public static IEndpointRouteBuilder MapPasskeys(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup("/auth/passkeys").WithTags("Sign-in").AllowAnonymous();
        open.MapPost("/sign-in", BeginSignInAsync).WithName("BeginPasskeySignIn");
        open.MapPost("/sign-in/complete", CompleteSignInAsync).WithName("CompletePasskeySignIn");

        var mine = app.MapGroup("/auth/passkeys").WithTags("Sign-in").RequireAuthorization(Policies.SignedInComplete);
        mine.MapGet("/", ListAsync).WithName("ListPasskeys");
        mine.MapPost("/", BeginRegistrationAsync).WithName("BeginPasskeyRegistration");
        mine.MapPost("/complete", CompleteRegistrationAsync).WithName("CompletePasskeyRegistration");
        mine.MapDelete("/{passkeyId}", RemoveAsync).WithName("RemovePasskey");
        return app;
    }

    public static async Task<IResult> BeginSignInAsync(Passkeys passkeys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await passkeys.BeginSignInAsync(cancellationToken));

    public static async Task<IResult> CompleteSignInAsync(
        PasskeyCompletion request, HttpContext context, Passkeys passkeys, ConsoleSignIn signIn, SessionViews views, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var client = SignInApi.Client(context);
        var verified = await passkeys.CompleteSignInAsync(request.FlowId, request.Credential, client, cancellationToken);
        var result = verified.Outcome switch
        {
            PasskeyOutcome.Done => await signIn.StartAsync(verified.AccountId!, "passkey", client, cancellationToken, secondFactorShown: true),
            PasskeyOutcome.Throttled => new SignInResult(SignInOutcome.Throttled, RetryAt: verified.RetryAt),
            _ => new SignInResult(SignInOutcome.Refused),
        };
        return await SignInApi.SignedInAsync(result, "The passkey was not accepted. Try again, or sign in by email.", context, views, cancellationToken);
    }

    public static async Task<IResult> ListAsync(HttpContext context, Passkeys passkeys, CancellationToken cancellationToken) =>
        SessionCookie.Current(context) is { } session
            ? TypedResults.Ok((await passkeys.ListAsync(session.Row.AccountId, cancellationToken)).Select(PasskeyResponse.From).ToArray())
            : SignInApi.NoSession();

    public static async Task<IResult> BeginRegistrationAsync(HttpContext context, Passkeys passkeys, CancellationToken cancellationToken)
    {
        if (SessionCookie.Current(context) is not { } session)
        {
            return SignInApi.NoSession();
        }

        var start = await passkeys.BeginRegistrationAsync(session, cancellationToken);
        return start.Refusal switch
        {
            PasskeyRegistrationRefusal.None => TypedResults.Ok(start.Ceremony),
            PasskeyRegistrationRefusal.SecondFactorFirst => SecondFactorFirst("adding a passkey"),
            PasskeyRegistrationRefusal.TooMany => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: $"A person may hold at most {Passkeys.MaxPerPerson} passkeys."),
            _ => OrgProblems.NotFound("account"),
        };
    }

    public static async Task<IResult> CompleteRegistrationAsync(PasskeyCompletion request, HttpContext context, Passkeys passkeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (SessionCookie.Current(context) is not { } session)
        {
            return SignInApi.NoSession();
        }

        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            return TypedResults.ValidationProblem(new Validation().Add("name", $"must be 1 to {MaxNameLength} printable characters").Errors);
        }

        var passkey = await passkeys.CompleteRegistrationAsync(session, request.FlowId, name, request.Credential, cancellationToken);
        return passkey is null
            ? TypedResults.Problem(statusCode: 400, title: "Passkey refused", detail: "The passkey could not be verified, or the ceremony expired or was used. Start again.")
            : TypedResults.Created($"/auth/passkeys/{passkey.RowKey}", PasskeyResponse.From(passkey));
    }

    public static async Task<IResult> RemoveAsync(string passkeyId, HttpContext context, Passkeys passkeys, CancellationToken cancellationToken)
    {
        if (SessionCookie.Current(context) is not { } session)
        {
            return SignInApi.NoSession();
        }

        return await passkeys.RemoveAsync(session, passkeyId, cancellationToken) switch
        {
            PasskeyRemoval.Removed => TypedResults.NoContent(),
            PasskeyRemoval.SecondFactorFirst => SecondFactorFirst("removing a passkey"),
            _ => OrgProblems.NotFound("passkey"),
        };
    }

    /// <summary>The person has a factor and the session showed none: changing their factors takes one (a mailbox alone must not).</summary>
    public static IResult SecondFactorFirst(string change) => TypedResults.Problem(statusCode: 403, title: "Second factor needed",
        detail: $"You have a passkey or TOTP: sign in with a passkey, or enter a code from your authenticator app (a step-up), before {change}.");
}
