using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Members;

public sealed record MemberResponse(string Id, string Email, string Role, DateTimeOffset AddedAt)
{
    public static MemberResponse From(MemberEntity m) => new(m.RowKey, m.Email, m.Role, m.AddedAt);
}

public sealed record AddMemberRequest(string? Email, string? Role);

public sealed record ChangeRoleRequest(string? Role);

/// <summary>Org members: owners and admins list, add, re-role and remove; only owners touch the owner role.</summary>
public static class MembersApi
{
    private const string RoleMessage = "must be one of owner, admin, member";

    public static RouteGroupBuilder MapMembers(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var members = api.MapGroup("/members").WithTags("Members").RequireAuthorization(Policies.Admin);
        members.MapGet("/", ListAsync).WithName("ListMembers");
        members.MapPost("/", AddAsync).WithName("AddMember");
        members.MapPatch("/{memberId}", ChangeRoleAsync).WithName("ChangeMemberRole");
        members.MapDelete("/{memberId}", RemoveAsync).WithName("RemoveMember");
        return api;
    }

    public static async Task<Ok<MemberResponse[]>> ListAsync(ClaimsPrincipal user, MemberService members, CancellationToken cancellationToken)
    {
        var list = await members.ListAsync(user.ToCaller(), cancellationToken);
        return TypedResults.Ok(list.Select(MemberResponse.From).ToArray());
    }

    public static async Task<Results<Created<MemberResponse>, ValidationProblem, ProblemHttpResult>> AddAsync(
        AddMemberRequest request, ClaimsPrincipal user, MemberService members, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var validation = new Validation()
            .Require(MemberEmails.TryNormalize(request.Email, out var email), "email", "must be an email address")
            .Require(Roles.TryParse(request.Role, out var role), "role", RoleMessage);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var (change, member) = await members.AddAsync(user.ToCaller(), email, role, cancellationToken);
        return change == MemberChange.Done
            ? TypedResults.Created($"/api/members/{member!.RowKey}", MemberResponse.From(member))
            : Refusal(change);
    }

    public static async Task<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>> ChangeRoleAsync(
        string memberId, ChangeRoleRequest request, ClaimsPrincipal user, MemberService members, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Roles.TryParse(request.Role, out var role))
        {
            return TypedResults.ValidationProblem(new Validation().Add("role", RoleMessage).Errors);
        }

        var (change, member) = await members.ChangeRoleAsync(user.ToCaller(), memberId, role, cancellationToken);
        return change == MemberChange.Done ? TypedResults.Ok(MemberResponse.From(member!)) : Refusal(change);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(
        string memberId, ClaimsPrincipal user, MemberService members, CancellationToken cancellationToken)
    {
        var change = await members.RemoveAsync(user.ToCaller(), memberId, cancellationToken);
        return change == MemberChange.Done ? TypedResults.NoContent() : Refusal(change);
    }

    private static ProblemHttpResult Refusal(MemberChange change) => change switch
    {
        MemberChange.NotFound => OrgProblems.NotFound("member"),
        MemberChange.LastOwner => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "An org must keep at least one owner."),
        _ => TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: "Only an owner can grant, change or remove the owner role."),
    };
}
