using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Console.Orgs;

public sealed record OrgResponse(string Id, string Name, DateTimeOffset CreatedAt, string YourRole);

public static class OrgsApi
{
    public static RouteGroupBuilder MapOrgs(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var orgs = api.MapGroup("/orgs").WithTags("Orgs").RequireAuthorization(Policies.Member);
        orgs.MapGet("/current", GetCurrentAsync);
        return api;
    }

    public static async Task<Results<Ok<OrgResponse>, NotFound>> GetCurrentAsync(
        ClaimsPrincipal user, OrganizationRepository orgs, CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        var org = await orgs.GetAsync(caller.OrgId, cancellationToken);
        return org is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new OrgResponse(caller.OrgId.Value, org.Name, org.CreatedAt, caller.Role.ToWire()));
    }
}
