using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Telephony;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Telephony;

public sealed record AddOptOutRequest(string? Number);

/// <summary>An opt-out; <see cref="Number"/> is null once the person was erased (the opt-out still holds).</summary>
public sealed record OptOutResponse(string? Number, bool OptedOut, DateTimeOffset? OptedOutAt, string? Source, DateTimeOffset? OptedInAt)
{
    public static OptOutResponse From(OptOutEntity o) => new(o.Number, o.OptedOut, o.OptedOutAt, o.OptOutSource, o.OptedInAt);
}

/// <summary>
/// The org's opt-outs. Admins can add one by hand (a person asked by phone or email); there is no way to opt someone back
/// in here: an opt-in is recorded only from the person's own message.
/// </summary>
public static class OptOutsApi
{
    public static RouteGroupBuilder MapOptOuts(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var optOuts = api.MapGroup("/optouts").WithTags("Opt-outs");
        optOuts.MapGet("/", ListAsync).WithName("ListOptOuts");
        optOuts.MapPost("/", AddAsync).WithName("AddOptOut").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<OptOutResponse[]>> ListAsync(ClaimsPrincipal user, OptOutRegistry optOuts, CancellationToken cancellationToken)
    {
        var list = await optOuts.ListAsync(user.ToCaller().OrgId, cancellationToken);
        return TypedResults.Ok(list.OrderBy(o => o.Number ?? "~", StringComparer.Ordinal).Select(OptOutResponse.From).ToArray()); // keyed by pseudonym; erased last
    }

    public static async Task<Results<Created<OptOutResponse>, Ok<OptOutResponse>, ValidationProblem>> AddAsync(
        AddOptOutRequest request, ClaimsPrincipal user, OptOutRegistry optOuts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!E164.TryNormalize(request.Number, out var e164))
        {
            return TypedResults.ValidationProblem(new Validation().Add("number", "must be a phone number in E.164 form").Errors);
        }

        var caller = user.ToCaller();
        var added = await optOuts.OptOutAsync(caller, e164, OptOutSources.Manual, keyword: null, cancellationToken);
        var row = OptOutResponse.From((await optOuts.FindAsync(caller.OrgId, e164, cancellationToken))!);
        return added ? TypedResults.Created("/api/optouts", row) : TypedResults.Ok(row);
    }
}
