using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Telephony;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Telephony;

public sealed record CallResponse(
    string Id, string Direction, string? CustomerNumber, string? OurNumber, string State, bool CallerOptedOut,
    DateTimeOffset StartedAt, DateTimeOffset? ConnectedAt, DateTimeOffset? EndedAt, string? EndReason, string? RecordingState)
{
    public static CallResponse From(CallEntity c) =>
        new(c.RowKey, c.Direction, c.CustomerNumber, c.OurNumber, c.State, c.CallerOptedOut, c.StartedAt, c.ConnectedAt, c.EndedAt, c.EndReason, c.RecordingState);
}

public static class CallsApi
{
    public static RouteGroupBuilder MapCalls(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var calls = api.MapGroup("/calls").WithTags("Calls");
        calls.MapGet("/", ListAsync).WithName("ListCalls");
        calls.MapGet("/{callId}", GetAsync).WithName("GetCall");
        calls.MapGet("/{callId}/recording", RecordingPlayback.PlayAsync).WithName("PlayCallRecording")
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav");
        return api;
    }

    public static async Task<Ok<CallResponse[]>> ListAsync(ClaimsPrincipal user, CallRepository calls, CancellationToken cancellationToken)
    {
        var list = await calls.ListAsync(user.ToCaller().OrgId, cancellationToken).Select(CallResponse.From).ToListAsync(cancellationToken);
        return TypedResults.Ok(list.OrderByDescending(c => c.StartedAt).ToArray());
    }

    public static async Task<Results<Ok<CallResponse>, ProblemHttpResult>> GetAsync(string callId, ClaimsPrincipal user, CallRepository calls, CancellationToken cancellationToken) =>
        await calls.FindAsync(user.ToCaller().OrgId, callId, cancellationToken) is { } call
            ? TypedResults.Ok(CallResponse.From(call))
            : OrgProblems.NotFound("call");
}
