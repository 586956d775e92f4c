using Hiroi.Endpoints.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// Playing the caller of a simulated call (the id <c>/simulate/incoming-call</c> answers, or the one
/// <c>GET /simulate/calls?to=</c> finds for an outbound call): say something, key digits, keep silent, hang up, and
/// read what the caller heard, in order. A caller can only answer what listens: 409 otherwise. On a streamed (realtime)
/// call the caller speaks whenever they like: <c>say {"text","ms"}</c> sends that many milliseconds of voiced frames
/// (and the words on the local model's side channel), <c>interrupt</c> does so over the agent, <c>press</c> sends DTMF
/// frames, and the view shows the stream (<see cref="StreamView"/>).
/// </summary>
public static class SimulatedCallerApi
{
    private static readonly string[] ToneNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <param name="Ms">On a streamed call: how long the caller speaks (voiced frames); default <see cref="StreamedCaller.DefaultUtteranceMilliseconds"/>.</param>
    public sealed record Said(string? Text, double? Confidence, int? Ms = null);

    /// <summary>A streamed call's media as the caller's end saw it: frames each way, StopAudio and the rest in order, voice-to-voice and barge-in times.</summary>
    public sealed record StreamView(
        string State, long FramesSent, long VoicedFramesSent, long FramesReceived, long LateFrames, bool Speaking, bool AgentSpeaking, double HeardMs,
        IReadOnlyList<StreamEvent> Events, IReadOnlyList<double> LatenciesMs, IReadOnlyList<double> BargeInsMs)
    {
        public static StreamView Of(StreamedCaller s) =>
            new(s.State, s.FramesSent, s.VoicedFramesSent, s.FramesReceived, s.LateFrames, s.Speaking, s.AgentSpeaking, s.HeardMs, s.Events, s.LatenciesMs,
                s.BargeInsMs);
    }

    public sealed record Pressed(string? Tones);

    public sealed record CallView(
        string Call, string? From, string? To, string? State, bool Listening, bool Speaking, string? TransferredTo, IReadOnlyList<HeardLine> Heard, StreamView? Media = null);

    public static RouteGroupBuilder MapSimulatedCaller(this RouteGroupBuilder open)
    {
        ArgumentNullException.ThrowIfNull(open);
        open.MapGet("/simulate/calls", ListAsync);
        open.MapGet("/simulate/calls/{call}", GetAsync);
        open.MapPost("/simulate/calls/{call}/say", SayAsync);
        open.MapPost("/simulate/calls/{call}/interrupt", InterruptAsync);
        open.MapPost("/simulate/calls/{call}/press", PressAsync);
        open.MapPost("/simulate/calls/{call}/silence", SilenceAsync);
        open.MapPost("/simulate/calls/{call}/hangup", HangUpAsync);
        return open;
    }

    private static async Task<IResult> ListAsync(string? to, string? from, SimulatorStore store, SimulatedMediaStreams streams, TimeProvider time, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync("call", ct))
            .Where(c => (to is null || c.To == to) && (from is null || c.From == from))
            .Select(c => View(c, streams, time.GetUtcNow())).ToList());

    /// <summary>
    /// The call as the caller knows it (still ringing until the platform answers). With <paramref name="listeningAfter"/>,
    /// it answers once the agent listens having said that many lines, or the call ended (30 s at most): a load run waits
    /// for the agent without polling.
    /// </summary>
    private static async Task<IResult> GetAsync(string call, int? listeningAfter, SimulatorStore store, SimulatedCalls calls, SimulatedMediaStreams streams,
        TimeProvider time, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var changed = calls.NextChangeAsync(call);
            if ((await store.FindAsync("call", call, ct) ?? await store.FindAsync("incoming", call, ct)) is not { } record)
            {
                return NotFound();
            }

            var view = View(record, streams, time.GetUtcNow());
            if (listeningAfter is not { } lines || (view.Listening && view.Heard.Count >= lines) || view.State is not ("connected" or "ringing" or "answered"))
            {
                return TypedResults.Ok(view);
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return TypedResults.Ok(view);
            }
        }
    }

    private static async Task<IResult> SayAsync(string call, Said said, SimulatedCalls calls, SimulatedMediaStreams streams, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(said.Text is { Length: > 0 and <= 2000 }, "text", "is required, at most 2000 characters")
            .Require(said.Confidence is null or (>= 0 and <= 1), "confidence", "must be 0 to 1")
            .Require(said.Ms is null or (>= 20 and <= 60_000), "ms", "must be 20 to 60000");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (streams.Find(call) is { } streamed)
        {
            return Spoken(streamed, said, "say");
        }

        return Answered(await calls.AnswerAsync(call, said.Text, said.Confidence ?? 0.92, tones: null, ct));
    }

    /// <summary>A streamed call's caller starts speaking over the agent (409 unless the agent can be heard now).</summary>
    private static IResult InterruptAsync(string call, Said said, SimulatedMediaStreams streams)
    {
        var validation = new Validation()
            .Require(said.Text is { Length: > 0 and <= 2000 }, "text", "is required, at most 2000 characters")
            .Require(said.Ms is null or (>= 20 and <= 60_000), "ms", "must be 20 to 60000");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return streams.Find(call) switch
        {
            null => Conflict("Only a streamed call can be interrupted."),
            { AgentSpeaking: false } => Conflict("The agent is not speaking."),
            var streamed => Spoken(streamed, said, "interrupt"),
        };
    }

    private static IResult Spoken(StreamedCaller streamed, Said said, string what)
    {
        if (streamed.State != "streaming")
        {
            return Conflict("The call's media is not streaming.");
        }

        streamed.Say(said.Text!, said.Ms ?? StreamedCaller.DefaultUtteranceMilliseconds, what);
        return TypedResults.Accepted((string?)null);
    }

    private static async Task<IResult> PressAsync(string call, Pressed pressed, SimulatedCalls calls, SimulatedMediaStreams streams, CancellationToken ct)
    {
        if (pressed.Tones is not { Length: > 0 and <= 32 } tones || tones.Any(c => !char.IsAsciiDigit(c) && c is not ('#' or '*')))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tones"] = ["1 to 32 of 0-9, # and *"] });
        }

        if (streams.Find(call) is { State: "streaming" } streamed)
        {
            streamed.Press(tones);
            return TypedResults.Accepted((string?)null);
        }

        var names = tones.Select(c => c switch { '#' => "pound", '*' => "asterisk", _ => ToneNames[c - '0'] }).ToList();
        return Answered(await calls.AnswerAsync(call, speech: null, confidence: 1, names, ct));
    }

    private static async Task<IResult> SilenceAsync(string call, SimulatedCalls calls, CancellationToken ct) =>
        Answered(await calls.SilenceAsync(call, ct));

    private static async Task<IResult> HangUpAsync(string call, SimulatedCalls calls, CancellationToken ct) =>
        await calls.EndAsync(call, "hung-up", ct) ? TypedResults.Accepted((string?)null) : Conflict("The call is not up.");

    private static IResult Answered(string? context) =>
        context is null ? Conflict("Nothing is listening to the caller right now.") : TypedResults.Accepted((string?)null, new { operationContext = context });

    private static ProblemHttpResult Conflict(string detail) => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);

    private static ProblemHttpResult NotFound() => TypedResults.Problem(statusCode: 404, title: "Not found", detail: "No such simulated call.");

    private static CallView View(SimulatedRecord call, SimulatedMediaStreams streams, DateTimeOffset now)
    {
        var media = SimulatedMedia.Of(call);
        var active = media.Active;
        return new CallView(
            call.RowKey, call.From, call.To, call.State, active is { IsRecognize: true } && (active.PromptsEndAt <= now || active.InterruptPrompt),
            active is not null && active.PromptsEndAt > now, call.TransferredTo, media.Heard, streams.Find(call.RowKey) is { } streamed ? StreamView.Of(streamed) : null);
    }
}
