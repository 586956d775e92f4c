using Hiroi.Endpoints.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// Playing the caller of a simulated call (the id <c>/simulate/incoming-call</c> answers, or the one
/// <c>GET /simulate/calls?to=</c> finds for an outbound call): say something, key digits, keep silent, hang up, and
/// read what the caller heard, in order. A caller can only answer what listens: 409 otherwise.
/// </summary>
public static class SimulatedCallerApi
{
    private static readonly string[] ToneNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    public sealed record Said(string? Text, double? Confidence);

    public sealed record Pressed(string? Tones);

    public sealed record CallView(string Call, string? From, string? To, string? State, bool Listening, bool Speaking, string? TransferredTo, IReadOnlyList<HeardLine> Heard);

    public static RouteGroupBuilder MapSimulatedCaller(this RouteGroupBuilder open)
    {
        ArgumentNullException.ThrowIfNull(open);
        open.MapGet("/simulate/calls", ListAsync);
        open.MapGet("/simulate/calls/{call}", GetAsync);
        open.MapPost("/simulate/calls/{call}/say", SayAsync);
        open.MapPost("/simulate/calls/{call}/press", PressAsync);
        open.MapPost("/simulate/calls/{call}/silence", SilenceAsync);
        open.MapPost("/simulate/calls/{call}/hangup", HangUpAsync);
        return open;
    }

    private static async Task<IResult> ListAsync(string? to, string? from, SimulatorStore store, TimeProvider time, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync("call", ct))
            .Where(c => (to is null || c.To == to) && (from is null || c.From == from))
            .Select(c => View(c, time.GetUtcNow())).ToList());

    /// <summary>
    /// The call as the caller knows it (still ringing until the platform answers). With <paramref name="listeningAfter"/>,
    /// it answers once the agent listens having said that many lines, or the call ended (30 s at most): a load run waits
    /// for the agent without polling.
    /// </summary>
    private static async Task<IResult> GetAsync(string call, int? listeningAfter, SimulatorStore store, SimulatedCalls calls, TimeProvider time, CancellationToken ct)
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

            var view = View(record, time.GetUtcNow());
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

    private static async Task<IResult> SayAsync(string call, Said said, SimulatedCalls calls, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(said.Text is { Length: > 0 and <= 2000 }, "text", "is required, at most 2000 characters")
            .Require(said.Confidence is null or (>= 0 and <= 1), "confidence", "must be 0 to 1");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return Answered(await calls.AnswerAsync(call, said.Text, said.Confidence ?? 0.92, tones: null, ct));
    }

    private static async Task<IResult> PressAsync(string call, Pressed pressed, SimulatedCalls calls, CancellationToken ct)
    {
        if (pressed.Tones is not { Length: > 0 and <= 32 } tones || tones.Any(c => !char.IsAsciiDigit(c) && c is not ('#' or '*')))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tones"] = ["1 to 32 of 0-9, # and *"] });
        }

        var names = tones.Select(c => c switch { '#' => "pound", '*' => "asterisk", _ => ToneNames[c - '0'] }).ToList();
        return Answered(await calls.AnswerAsync(call, speech: null, confidence: 1, names, ct));
    }

    private static async Task<IResult> SilenceAsync(string call, SimulatedCalls calls, CancellationToken ct) =>
        Answered(await calls.SilenceAsync(call, ct));

    private static async Task<IResult> HangUpAsync(string call, SimulatedCalls calls, CancellationToken ct) =>
        await calls.EndAsync(call, "hung-up", ct) ? TypedResults.Accepted((string?)null) : Conflict("The call is not up.");

    private static IResult Answered(string? context) => context is null ? Conflict("Nothing is listening to the caller right now.") : TypedResults.Accepted((string?)null, new { operationContext = context });

    private static ProblemHttpResult Conflict(string detail) => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);

    private static ProblemHttpResult NotFound() => TypedResults.Problem(statusCode: 404, title: "Not found", detail: "No such simulated call.");

    private static CallView View(SimulatedRecord call, DateTimeOffset now)
    {
        var media = SimulatedMedia.Of(call);
        var active = media.Active;
        return new CallView(
            call.RowKey, call.From, call.To, call.State, active is { IsRecognize: true } && (active.PromptsEndAt <= now || active.InterruptPrompt),
            active is not null && active.PromptsEndAt > now, call.TransferredTo, media.Heard);
    }
}
