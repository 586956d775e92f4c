using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Voice;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Telephony;

/// <param name="AgentId">The agent that talked on the call, if any; <paramref name="VoiceOutcome"/> what became of that conversation.</param>
/// <param name="Transcript">The conversation, line by line (only on a single call's read).</param>
/// <param name="Media">A realtime call's streamed audio, in 20 ms frames, once its media socket closed.</param>
public sealed record CallResponse(
    string Id, string Direction, string? CustomerNumber, string? OurNumber, string State, bool CallerOptedOut,
    DateTimeOffset StartedAt, DateTimeOffset? ConnectedAt, DateTimeOffset? EndedAt, string? EndReason, string? RecordingState,
    string? AgentId, string? VoiceOutcome, IReadOnlyList<TranscriptLine>? Transcript = null, CallMedia? Media = null)
{
    public static CallResponse From(CallEntity c) =>
        new(c.RowKey, c.Direction, c.CustomerNumber, c.OurNumber, c.State, c.CallerOptedOut, c.StartedAt, c.ConnectedAt, c.EndedAt, c.EndReason, c.RecordingState,
            c.AgentId, c.VoiceOutcome ?? c.Refused, Media: c.Realtime ? new CallMedia(c.MediaFramesIn, c.MediaFramesOut, c.MediaFramesDropped) : null);
}

/// <summary>Frames ACS streamed in, frames the agent sent back, and frames dropped either way (a slow model or socket).</summary>
public sealed record CallMedia(long FramesIn, long FramesOut, long FramesDropped);

/// <summary>
/// A line of a call's conversation: who said it, how (speech with its confidence, or keys), and whether the caller heard
/// it; <paramref name="CutAfterMs"/> when the caller talked over it (a realtime call), the line holding what they heard.
/// </summary>
public sealed record TranscriptLine(
    int Turn, string Role, string Text, string? Via, double? Confidence, IReadOnlyList<string>? Tools, bool Spoken, DateTimeOffset At, int? CutAfterMs = null)
{
    public static TranscriptLine From(CallTranscriptEntity l) =>
        new(l.Turn, l.Role, l.Text, l.Via, l.Confidence, l.Tools?.Split(','), l.Spoken, l.At, l.CutAfterMs);
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

    public static async Task<Results<Ok<CallResponse>, ProblemHttpResult>> GetAsync(
        string callId, ClaimsPrincipal user, CallRepository calls, CallTranscriptRepository transcripts, CancellationToken cancellationToken)
    {
        var org = user.ToCaller().OrgId;
        if (await calls.FindAsync(org, callId, cancellationToken) is not { } call)
        {
            return OrgProblems.NotFound("call");
        }

        var lines = await transcripts.OfCallAsync(org, call.RowKey, cancellationToken).Select(TranscriptLine.From).ToListAsync(cancellationToken);
        return TypedResults.Ok(CallResponse.From(call) with { Transcript = lines });
    }
}
