using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Retention;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Retention;

public sealed record RetentionResponse(IReadOnlyDictionary<string, int> Days, int FloorDays, int CeilingDays);

/// <summary>The org's retention periods in days per kind of data (admins): read, and change within the platform's bounds (audited).</summary>
public static class RetentionApi
{
    public static RouteGroupBuilder MapRetention(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var retention = api.MapGroup("/retention").WithTags("Retention").RequireAuthorization(Policies.Admin);
        retention.MapGet("/", GetAsync).WithName("GetRetention");
        retention.MapPut("/", SetAsync).WithName("SetRetention");
        return api;
    }

    public static async Task<Ok<RetentionResponse>> GetAsync(ClaimsPrincipal user, RetentionSettings settings, CancellationToken cancellationToken) =>
        TypedResults.Ok(new RetentionResponse(await settings.GetAsync(user.ToCaller().OrgId, cancellationToken), settings.Bounds.FloorDays, settings.Bounds.CeilingDays));

    /// <summary>Body: <c>{"messages": 30, "recordings": 7}</c>; kinds not named keep their period.</summary>
    public static async Task<Results<Ok<RetentionResponse>, ValidationProblem>> SetAsync(
        Dictionary<string, int> days, ClaimsPrincipal user, RetentionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(days);
        var (periods, errors) = await settings.SetAsync(user.ToCaller(), days, cancellationToken);
        if (periods is null)
        {
            var validation = new Validation();
            foreach (var (kind, error) in errors)
            {
                validation.Add(kind, error);
            }

            return TypedResults.ValidationProblem(validation.Errors);
        }

        return TypedResults.Ok(new RetentionResponse(periods, settings.Bounds.FloorDays, settings.Bounds.CeilingDays));
    }
}
