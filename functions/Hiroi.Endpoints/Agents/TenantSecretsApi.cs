using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.TenantSecrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Agents;

public sealed record SetSecretRequest(string? Value);

public sealed record SecretList(IReadOnlyList<TenantSecretInfo> Secrets);

/// <summary>
/// The org's secrets for agent tools (admins). Write-only: a value goes in and never comes back out; the list shows
/// names and times. Tools name them as <c>{{secrets.NAME}}</c>.
/// </summary>
public static class TenantSecretsApi
{
    public static RouteGroupBuilder MapTenantSecrets(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var secrets = api.MapGroup("/secrets").WithTags("Agents").RequireAuthorization(Policies.Admin);
        secrets.MapGet("/", ListAsync).WithName("ListTenantSecrets");
        secrets.MapPut("/{name}", SetAsync).WithName("SetTenantSecret");
        secrets.MapDelete("/{name}", DeleteAsync).WithName("DeleteTenantSecret");
        return api;
    }

    public static async Task<Ok<SecretList>> ListAsync(ClaimsPrincipal user, TenantSecretService secrets, CancellationToken cancellationToken) =>
        TypedResults.Ok(new SecretList(await secrets.ListAsync(user.ToCaller().OrgId, cancellationToken)));

    /// <summary>Body <c>{"value": "..."}</c>: 201 when new, 200 when replaced; the answer never holds the value.</summary>
    public static async Task<Results<Created<TenantSecretInfo>, Ok<TenantSecretInfo>, ValidationProblem, ProblemHttpResult>> SetAsync(
        string name, SetSecretRequest request, ClaimsPrincipal user, TenantSecretService secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var validation = new Validation()
            .Require(TenantSecretService.IsName(name), "name", "must be 1 to 64 characters of A-Z a-z 0-9 _, not starting with a digit")
            .Require(TenantSecretService.IsValue(request.Value), "value", $"is required: 1 to {TenantSecretService.MaxValueBytes} bytes of UTF-8 text without control characters");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var (outcome, info) = await secrets.SetAsync(user.ToCaller(), name, request.Value!, cancellationToken);
        return outcome switch
        {
            SecretWrite.Created => TypedResults.Created($"/api/secrets/{name}", info),
            SecretWrite.Replaced => TypedResults.Ok(info),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too many secrets",
                detail: $"An org has at most {TenantSecretService.MaxSecretsPerOrg} secrets."),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, ClaimsPrincipal user, TenantSecretService secrets,
        CancellationToken cancellationToken) =>
        await secrets.DeleteAsync(user.ToCaller(), name, cancellationToken) ? TypedResults.NoContent() : OrgProblems.NotFound("secret");
}
