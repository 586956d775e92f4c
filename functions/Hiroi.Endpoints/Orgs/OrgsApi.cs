using System.Security.Claims;
using Hiroi.Durable.Workflows;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Orgs;

public sealed record OrgResponse(string Id, string Name, DateTimeOffset CreatedAt, string YourRole, DateTimeOffset? DeletionScheduledFor, bool RequireTwoFactor);

/// <param name="Required">Whether members must show a second factor (TOTP or a passkey) before acting for the org.</param>
public sealed record TwoFactorRequirementRequest(bool? Required);

/// <param name="ConfirmName">The org's name exactly, so a stray call cannot delete it.</param>
public sealed record DeleteOrgRequest(string? ConfirmName);

public sealed record DeletionResponse(string Status, DateTimeOffset? PurgeAfter);

public static class OrgsApi
{
    public static RouteGroupBuilder MapOrgs(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var orgs = api.MapGroup("/orgs").WithTags("Orgs");
        orgs.MapGet("/current", GetCurrentAsync).WithName("GetCurrentOrg");
        orgs.MapPost("/current/deletion", RequestDeletionAsync).WithName("RequestOrgDeletion").RequireAuthorization(Policies.Owner);
        orgs.MapPut("/current/two-factor", SetTwoFactorAsync).WithName("SetOrgTwoFactor").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Results<Ok<OrgResponse>, NotFound>> GetCurrentAsync(
        ClaimsPrincipal user, OrganizationRepository orgs, CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        var org = await orgs.GetAsync(caller.OrgId, cancellationToken);
        return org is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new OrgResponse(caller.OrgId.Value, org.Name, org.CreatedAt, caller.Role.ToWire(), org.PurgeAfter, org.RequireTwoFactor));
    }

    /// <summary>
    /// Admins: require 2FA of every member. Turning it on ends the org's sessions that showed no second factor, so the
    /// rule holds from now, not from their next sign-in.
    /// </summary>
    public static async Task<Results<Ok<OrgResponse>, ValidationProblem, NotFound>> SetTwoFactorAsync(
        TwoFactorRequirementRequest request, ClaimsPrincipal user, OrgTwoFactorPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Required is not { } required)
        {
            return TypedResults.ValidationProblem(new Validation().Add("required", "must be true or false").Errors);
        }

        var caller = user.ToCaller();
        var org = await policy.SetAsync(caller, required, cancellationToken);
        return org is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new OrgResponse(caller.OrgId.Value, org.Name, org.CreatedAt, caller.Role.ToWire(), org.PurgeAfter, org.RequireTwoFactor));
    }

    /// <summary>
    /// Owners only: deletes the org and everything it holds. API keys stop working and numbers are released at once; the
    /// purge follows (202 with its time). Asking again answers the same schedule.
    /// </summary>
    public static async Task<Results<Accepted<DeletionResponse>, ValidationProblem, ProblemHttpResult>> RequestDeletionAsync(
        DeleteOrgRequest request, ClaimsPrincipal user, OrgDeletion deletion, WorkflowStarter workflows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = user.ToCaller();
        var (outcome, purgeAfter) = await deletion.RequestAsync(caller, request.ConfirmName, cancellationToken);
        switch (outcome)
        {
            case DeletionRequest.Forbidden:
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Owners only", detail: "Only an owner can delete the org.");
            case DeletionRequest.NameMismatch:
                return TypedResults.ValidationProblem(new Validation().Add("confirmName", "must be the org's name exactly").Errors);
            default:
                // Once the flag is written (asking again starts it again, should this fail); its timer waits out the purge delay.
                await workflows.StartOrgPurgeAsync(caller.OrgId, cancellationToken);
                return TypedResults.Accepted("/api/orgs/current", new DeletionResponse("scheduled", purgeAfter));
        }
    }
}
