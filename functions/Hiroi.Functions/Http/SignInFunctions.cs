using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>Console sign-in (email, passkeys, Entra ID), TOTP and the console pages. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class SignInFunctions(HiroiHttp http)
{
    [Function(nameof(RequestSignInLink))]
    public Task<IResult> RequestSignInLink(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/link")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RequestSignInLink), request, client);

    [Function(nameof(CompleteSignInLink))]
    public Task<IResult> CompleteSignInLink(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/link/complete")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CompleteSignInLink), request, client);

    [Function(nameof(RequestSignInCode))]
    public Task<IResult> RequestSignInCode(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/code")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RequestSignInCode), request, client);

    [Function(nameof(CompleteSignInCode))]
    public Task<IResult> CompleteSignInCode(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/code/complete")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CompleteSignInCode), request, client);

    [Function(nameof(GetSignInSession))]
    public Task<IResult> GetSignInSession(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/session")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetSignInSession), request, client);

    [Function(nameof(SignOut))]
    public Task<IResult> SignOut(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "auth/session")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(SignOut), request, client);

    [Function(nameof(ChooseSignInOrg))]
    public Task<IResult> ChooseSignInOrg(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/session/org")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ChooseSignInOrg), request, client);

    [Function(nameof(ListMySessions))]
    public Task<IResult> ListMySessions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/sessions")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListMySessions), request, client);

    [Function(nameof(RevokeMySession))]
    public Task<IResult> RevokeMySession(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "auth/sessions/{sessionId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RevokeMySession), request, client);

    [Function(nameof(ExportMyAccount))]
    public Task<IResult> ExportMyAccount(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/account/export")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ExportMyAccount), request, client);

    [Function(nameof(BeginTotpEnrolment))]
    public Task<IResult> BeginTotpEnrolment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/totp/enrolment")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(BeginTotpEnrolment), request, client);

    [Function(nameof(ConfirmTotpEnrolment))]
    public Task<IResult> ConfirmTotpEnrolment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/totp/enrolment/confirm")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ConfirmTotpEnrolment), request, client);

    [Function(nameof(VerifyTotp))]
    public Task<IResult> VerifyTotp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/totp/verify")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(VerifyTotp), request, client);

    [Function(nameof(DisableTotp))]
    public Task<IResult> DisableTotp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/totp/disable")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(DisableTotp), request, client);

    [Function(nameof(ConsoleSignInPage))]
    public Task<IResult> ConsoleSignInPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/signin")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ConsoleSignInPage), request, client);

    [Function(nameof(ConsoleLinkPage))]
    public Task<IResult> ConsoleLinkPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/link")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ConsoleLinkPage), request, client);

    [Function(nameof(ConsoleSecurityPage))]
    public Task<IResult> ConsoleSecurityPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/security")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ConsoleSecurityPage), request, client);

    [Function(nameof(ConsoleAsset))]
    public Task<IResult> ConsoleAsset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/assets/{name}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ConsoleAsset), request, client);

    [Function(nameof(BeginPasskeySignIn))]
    public Task<IResult> BeginPasskeySignIn(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/passkeys/sign-in")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(BeginPasskeySignIn), request, client);

    [Function(nameof(CompletePasskeySignIn))]
    public Task<IResult> CompletePasskeySignIn(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/passkeys/sign-in/complete")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CompletePasskeySignIn), request, client);

    [Function(nameof(ListPasskeys))]
    public Task<IResult> ListPasskeys(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/passkeys")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListPasskeys), request, client);

    [Function(nameof(BeginPasskeyRegistration))]
    public Task<IResult> BeginPasskeyRegistration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/passkeys")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(BeginPasskeyRegistration), request, client);

    [Function(nameof(CompletePasskeyRegistration))]
    public Task<IResult> CompletePasskeyRegistration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/passkeys/complete")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CompletePasskeyRegistration), request, client);

    [Function(nameof(RemovePasskey))]
    public Task<IResult> RemovePasskey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "auth/passkeys/{passkeyId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RemovePasskey), request, client);

    [Function(nameof(StartEntraSignIn))]
    public Task<IResult> StartEntraSignIn(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/entra/start")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(StartEntraSignIn), request, client);

    [Function(nameof(EntraSignInCallback))]
    public Task<IResult> EntraSignInCallback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/entra/callback")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(EntraSignInCallback), request, client);
}
