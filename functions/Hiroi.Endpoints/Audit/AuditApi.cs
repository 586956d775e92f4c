using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Audit;

public sealed record AuditEntryResponse(DateTimeOffset At, string Actor, string Action, string Target, string? Detail);

public sealed record AuditPage(AuditEntryResponse[] Entries, string? Next);

/// <summary>The org's audit trail for its admins: newest first, by time range, actor and action, a page at a time.</summary>
public static class AuditApi
{
    public const int MaxPageSize = 500;

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/audit", ListAsync).WithName("ListAuditEntries").WithTags("Audit").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Results<Ok<AuditPage>, ValidationProblem>> ListAsync(
        DateTimeOffset? from, DateTimeOffset? to, string? actor, string? action, int? pageSize, string? next,
        ClaimsPrincipal user, AuditTrail audit, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(from is null || to is null || from <= to, "from", "must not be after to")
            .Require(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"must be 1 to {MaxPageSize}")
            .Require(actor is null or { Length: <= 200 }, "actor", "is at most 200 characters")
            .Require(action is null or { Length: <= 100 }, "action", "is at most 100 characters");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var (entries, continuation) = await audit.QueryAsync(user.ToCaller().OrgId, new AuditQuery(from, to, actor, action), pageSize ?? 100, next, cancellationToken);
        return TypedResults.Ok(new AuditPage(entries.Select(e => new AuditEntryResponse(e.At, e.Actor, e.Action, e.Target, e.Detail)).ToArray(), continuation));
    }
}
