using Hiroi.Endpoints.Auth;
using Hiroi.Shared.SignIn;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using QRCoder;

namespace Hiroi.Endpoints.SignIn;

public sealed record TotpCodeRequest(string? Code);

/// <summary>What an authenticator app enrols from; the QR code is an SVG of the same URI.</summary>
public sealed record TotpEnrolmentResponse(string Uri, string Secret, string QrCodeSvg);

public sealed record TotpEnabledResponse(IReadOnlyList<string> RecoveryCodes, SessionResponse Session);

/// <summary>
/// TOTP: enrol (URI and QR code, then confirm with a code: ten recovery codes are shown once), the second step and
/// step-up (a code or a recovery code), and turning it off (a fresh code). Each success rotates the session cookie.
/// </summary>
public static class TwoFactorApi
{
    public static IEndpointRouteBuilder MapTwoFactor(this IEndpointRouteBuilder app)
    {
        var person = app.MapGroup("/auth/totp").WithTags("Sign-in").RequireAuthorization(Policies.SignedIn);
        person.MapPost("/enrolment", BeginAsync).WithName("BeginTotpEnrolment");
        person.MapPost("/enrolment/confirm", ConfirmAsync).WithName("ConfirmTotpEnrolment");
        person.MapPost("/verify", VerifyAsync).WithName("VerifyTotp");
        app.MapGroup("/auth/totp").WithTags("Sign-in").RequireAuthorization(Policies.SignedInComplete)
            .MapPost("/disable", DisableAsync).WithName("DisableTotp");
        return app;
    }

    public static async Task<IResult> BeginAsync(HttpContext context, TwoFactor twoFactor, CancellationToken cancellationToken)
    {
        if (SessionCookie.Current(context) is not { } session)
        {
            return SignInApi.NoSession();
        }

        var start = await twoFactor.BeginEnrolmentAsync(session, cancellationToken);
        if (start.Enrolment is not { } enrolment)
        {
            return start.Outcome == TwoFactorOutcome.SecondFactorFirst
                ? PasskeysApi.SecondFactorFirst("enrolling an authenticator app")
                : TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "TOTP is already on: turn it off first to enrol a new authenticator.");
        }

        using var qr = QRCodeGenerator.GenerateQrCode(enrolment.Uri, QRCodeGenerator.ECCLevel.M);
        var svg = new SvgQRCode(qr).GetGraphic(4);
        return TypedResults.Ok(new TotpEnrolmentResponse(enrolment.Uri, enrolment.Secret, svg));
    }

    public static Task<IResult> ConfirmAsync(
        TotpCodeRequest request, HttpContext context, TwoFactor twoFactor, ConsoleSignIn signIn, SessionViews views, CancellationToken cancellationToken) =>
        RunAsync(request, context, signIn, views, (session, code, client) => twoFactor.ConfirmEnrolmentAsync(session, code, client, cancellationToken), cancellationToken);

    public static Task<IResult> VerifyAsync(
        TotpCodeRequest request, HttpContext context, TwoFactor twoFactor, ConsoleSignIn signIn, SessionViews views, CancellationToken cancellationToken) =>
        RunAsync(request, context, signIn, views, (session, code, client) => twoFactor.VerifyAsync(session, code, client, cancellationToken), cancellationToken);

    public static Task<IResult> DisableAsync(
        TotpCodeRequest request, HttpContext context, TwoFactor twoFactor, ConsoleSignIn signIn, SessionViews views, CancellationToken cancellationToken) =>
        RunAsync(request, context, signIn, views, (session, code, client) => twoFactor.DisableAsync(session, code, client, cancellationToken), cancellationToken);

    private static async Task<IResult> RunAsync(
        TotpCodeRequest request, HttpContext context, ConsoleSignIn signIn, SessionViews views,
        Func<ActiveSession, string?, SignInClient, Task<TwoFactorResult>> step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (SessionCookie.Current(context) is not { } session)
        {
            return SignInApi.NoSession();
        }

        var result = await step(session, request.Code?.Trim(), SignInApi.Client(context));
        switch (result.Outcome)
        {
            case TwoFactorOutcome.Done:
                SessionCookie.Write(context.Response, result.Session!);
                await DeviceCookie.RememberAsync(context, result.Session!, cancellationToken);
                await signIn.ChooseOnlyOrgAsync(result.Session!, cancellationToken); // the second step was all that was left
                var described = await views.DescribeAsync(result.Session!, cancellationToken);
                return result.RecoveryCodes is { } codes ? TypedResults.Ok(new TotpEnabledResponse(codes, described)) : TypedResults.Ok(described);
            case TwoFactorOutcome.Throttled:
                return SignInApi.TooMany(context, result.RetryAt);
            case TwoFactorOutcome.AlreadyOn:
                return TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "TOTP is already on.");
            case TwoFactorOutcome.NotOn:
                return TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "TOTP is not on for this account.");
            case TwoFactorOutcome.SessionEnded:
                SessionCookie.Clear(context.Response);
                return TypedResults.Problem(statusCode: 401, title: "Session ended", detail: "The session ended meanwhile: sign in again.");
            case TwoFactorOutcome.NotStarted:
                return TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "Start an enrolment first.");
            case TwoFactorOutcome.SecondFactorFirst:
                return PasskeysApi.SecondFactorFirst("enrolling an authenticator app");
            default:
                return TypedResults.Problem(statusCode: 401, title: "Code refused", detail: "The code is not valid: it may be wrong, expired or already used.");
        }
    }
}
