using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Telephony;

public sealed record RegisterNumberRequest(string? Number, string? Label);

public sealed record NumberResponse(string Number, string? Label, DateTimeOffset RegisteredAt)
{
    public static NumberResponse From(PhoneNumberEntity n) => new(n.RowKey, n.Label, n.RegisteredAt);
}

/// <summary>The ACS numbers an org owns; events for a number are routed to its org.</summary>
public static class NumbersApi
{
    public static RouteGroupBuilder MapNumbers(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var numbers = api.MapGroup("/numbers").WithTags("Numbers");
        numbers.MapGet("/", ListAsync).WithName("ListNumbers");
        numbers.MapPost("/", RegisterAsync).WithName("RegisterNumber").RequireAuthorization(Policies.Admin);
        numbers.MapDelete("/{number}", ReleaseAsync).WithName("ReleaseNumber").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<NumberResponse[]>> ListAsync(ClaimsPrincipal user, PhoneNumberRepository numbers, CancellationToken cancellationToken)
    {
        return TypedResults.Ok(await numbers.ListAsync(user.ToCaller().OrgId, cancellationToken).Select(NumberResponse.From).ToArrayAsync(cancellationToken));
    }

    public static async Task<Results<Created<NumberResponse>, Ok<NumberResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterNumberRequest request, ClaimsPrincipal user, NumberRegistry registry, PhoneNumberRepository numbers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var label = request.Label?.Trim();
        var validation = new Validation()
            .Require(E164.TryNormalize(request.Number, out var e164), "number", "must be a phone number in E.164 form, e.g. +15555550100")
            .Require(label is null || label.Length == 0 || DisplayText.TryClean(label, 100, out label), "label", "must be at most 100 printable characters");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var caller = user.ToCaller();
        var claim = await registry.RegisterAsync(caller, e164!, label, cancellationToken);
        if (claim == NumberClaim.OwnedByAnotherOrg)
        {
            // Says only that the number is taken, never by whom.
            return TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "This number is registered to another organization.");
        }

        var row = await numbers.FindAsync(caller.OrgId, e164!, cancellationToken);
        var response = NumberResponse.From(row!);
        return claim == NumberClaim.Registered ? TypedResults.Created($"/api/numbers/{Uri.EscapeDataString(e164!)}", response) : TypedResults.Ok(response);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> ReleaseAsync(
        string number, ClaimsPrincipal user, NumberRegistry registry, CancellationToken cancellationToken)
    {
        return E164.TryNormalize(number, out var e164) && await registry.ReleaseAsync(user.ToCaller(), e164, cancellationToken)
            ? TypedResults.NoContent()
            : OrgProblems.NotFound("number");
    }
}
