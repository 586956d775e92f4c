using System.Text.Json;

namespace Hiroi.Server.AcsSimulator;

/// <summary>One play or recognize in a simulated call's media queue.</summary>
public sealed class SimulatedOperation
{
    public string Kind { get; set; } = "play";
    public string? Context { get; set; }
    public List<string> Prompts { get; set; } = [];
    public bool InterruptPrompt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? PromptsEndAt { get; set; }

    /// <summary>Where this operation's prompts are in <see cref="SimulatedMedia.Heard"/>.</summary>
    public int HeardFrom { get; set; }

    public bool IsRecognize => Kind == "recognize";
}

/// <summary>A line the caller heard, whether it was cut short by their speaking, and what carried it.</summary>
public sealed record HeardLine(string Text, string Via, string? Context, DateTimeOffset At, bool Cut = false);

/// <summary>A call's media as ACS runs it: one operation at a time, the rest queued; what the caller heard, in order.</summary>
public sealed class SimulatedMedia
{
    public const int MaxHeard = 400;

    public List<SimulatedOperation> Operations { get; set; } = [];
    public List<HeardLine> Heard { get; set; } = [];

    public SimulatedOperation? Active => Operations.Count > 0 ? Operations[0] : null;

    public static SimulatedMedia Of(SimulatedRecord call) =>
        call.MediaJson is { Length: > 0 } json ? JsonSerializer.Deserialize<SimulatedMedia>(json) ?? new() : new();

    public void SaveTo(SimulatedRecord call) => call.MediaJson = JsonSerializer.Serialize(this);
}

/// <summary>A callback the simulated ACS owes after a change to a call's media.</summary>
public sealed record CallEventDue(string Type, object? Extra = null, DateTimeOffset? At = null, string? Context = null);

/// <summary>
/// The simulated call's media, as Call Automation plays and recognizes: operations run one at a time in order (an
/// operation sent with <c>interruptCallMediaOperation</c> cancels what runs and what waits), prompts take the caller
/// the call's speaking time to hear, a recognize listens once its prompts are heard (or at once, when its prompt may be
/// interrupted and the caller speaks over it), and the caller speaks, keys or keeps silent through the
/// <c>/simulate/calls</c> routes. Silence is only ever the caller's choice, so a test never depends on how fast it runs.
/// </summary>
public sealed class SimulatedCalls(SimulatorStore store, SimulatorOutbox outbox, SimulatedMediaStreams streams, TimeProvider time)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _changes = new(StringComparer.Ordinal);

    /// <summary>Completes at the call's next change (or never): lets a caller wait for the agent without polling.</summary>
    public Task NextChangeAsync(string recordId) =>
        _changes.GetOrAdd(recordId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>A play or recognize from the platform; false when the call is not up.</summary>
    public async Task<bool> EnqueueAsync(string recordId, SimulatedOperation operation, bool interrupt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return await ChangeAsync(recordId, (call, media, due) =>
        {
            if (call.State != "connected")
            {
                return false;
            }

            if (interrupt)
            {
                CancelAll(call, media, due);
            }

            media.Operations.Add(operation);
            if (media.Operations.Count == 1)
            {
                Start(call, media, due);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> CancelAllAsync(string recordId, CancellationToken cancellationToken) =>
        ChangeAsync(recordId, (call, media, due) =>
        {
            CancelAll(call, media, due);
            return call.State == "connected";
        }, cancellationToken);

    /// <summary>Moves the call's timeline on: plays whose prompts ended complete, and the next operation starts.</summary>
    public Task AdvanceAsync(string recordId, CancellationToken cancellationToken) =>
        ChangeAsync(recordId, (call, media, due) =>
        {
            Advance(call, media, due);
            return true;
        }, cancellationToken);

    /// <summary>The caller speaks (or keys, with <paramref name="tones"/>); null when nothing is listening.</summary>
    public Task<string?> AnswerAsync(string recordId, string? speech, double confidence, IReadOnlyList<string>? tones, CancellationToken cancellationToken) =>
        ChangeAsync(recordId, (call, media, due) =>
        {
            Advance(call, media, due);
            if (media.Active is not { IsRecognize: true } listening)
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (listening.PromptsEndAt > now)
            {
                if (!listening.InterruptPrompt)
                {
                    return null;
                }

                Cut(call, media, listening);
            }

            due.Add(new CallEventDue("RecognizeCompleted", tones is null
                ? new { recognitionType = "speech", speechResult = new { speech, confidence } }
                : new { recognitionType = "dtmf", dtmfResult = new { tones } }, Context: listening.Context));
            Finish(call, media, due);
            return listening.Context ?? string.Empty;
        }, cancellationToken);

    /// <summary>The caller says nothing: the recognize listening now fails with initial silence (8510); null when nothing listens.</summary>
    public Task<string?> SilenceAsync(string recordId, CancellationToken cancellationToken) =>
        ChangeAsync(recordId, (call, media, due) =>
        {
            Advance(call, media, due);
            if (media.Active is not { IsRecognize: true } listening)
            {
                return null;
            }

            due.Add(new CallEventDue("RecognizeFailed", new { resultInformation = new { code = 400, subCode = 8510, message = "Action failed, initial silence timeout reached." } },
                Context: listening.Context));
            Finish(call, media, due);
            return listening.Context ?? string.Empty;
        }, cancellationToken);

    /// <summary>The call ends (the caller hung up, or the platform did): what runs is dropped, CallDisconnected follows.</summary>
    public Task<bool> EndAsync(string recordId, string state, CancellationToken cancellationToken) =>
        ChangeAsync(recordId, (call, media, due) =>
        {
            if (call.State is not ("connected" or "connecting"))
            {
                return false;
            }

            foreach (var operation in media.Operations.Where(o => o.StartedAt is not null))
            {
                Cut(call, media, operation);
            }

            media.Operations.Clear();
            call.State = state;
            due.Add(new CallEventDue("CallDisconnected"));
            return true;
        }, cancellationToken);

    /// <summary>A transfer: to an unreachable number it fails; otherwise the caller is with a person and the platform leaves the call.</summary>
    public Task<bool> TransferAsync(string recordId, string target, string? context, bool reachable, CancellationToken cancellationToken) =>
        ChangeAsync(recordId, (call, media, due) =>
        {
            if (call.State != "connected")
            {
                return false;
            }

            if (!reachable)
            {
                due.Add(new CallEventDue("CallTransferFailed", new { resultInformation = new { code = 500, subCode = 7504, message = "Transfer failed." } }, Context: context));
                return true;
            }

            media.Operations.Clear();
            call.State = "transferred";
            call.TransferredTo = target;
            due.Add(new CallEventDue("CallTransferAccepted", new { transferTarget = new { rawId = "4:" + target, phoneNumber = new { value = target } } }, Context: context));
            due.Add(new CallEventDue("CallDisconnected"));
            return true;
        }, cancellationToken);

    /// <summary>Runs <paramref name="change"/> on the call's record and media under its ETag, then owes what it produced.</summary>
    private async Task<T> ChangeAsync<T>(string recordId, Func<SimulatedRecord, SimulatedMedia, List<CallEventDue>, T> change, CancellationToken cancellationToken)
    {
        List<CallEventDue> due = [];
        SimulatedRecord? changed = null;
        var result = await store.ChangeAsync("call", recordId, call =>
        {
            due = [];
            var media = SimulatedMedia.Of(call);
            var outcome = change(call, media, due);
            if (media.Heard.Count > SimulatedMedia.MaxHeard)
            {
                media.Heard.RemoveRange(0, media.Heard.Count - SimulatedMedia.MaxHeard);
            }

            media.SaveTo(call);
            changed = call;
            return outcome;
        }, cancellationToken).ConfigureAwait(false);
        if (_changes.TryRemove(recordId, out var waiting))
        {
            waiting.TrySetResult();
        }

        if (changed is { State: not ("connected" or "connecting") })
        {
            // The call is over for the caller: its media stream (if any) closes.
            streams.Stop(recordId);
        }

        if (changed is { CallbackUri: { } callback })
        {
            foreach (var owed in due)
            {
                if (owed.Type == "advance")
                {
                    await outbox.AdvanceAsync(recordId, owed.At!.Value, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await outbox.PostCallbackAsync(new Uri(callback), AcsSimulatorApi.CallEvent(owed.Type, changed, owed.Context, owed.Extra), cancellationToken: cancellationToken,
                        awaitsAnswerFor: owed.Type == "RecognizeCompleted" ? "reply:" + recordId : null).ConfigureAwait(false);
                }
            }
        }

        return result!;
    }

    private void Start(SimulatedRecord call, SimulatedMedia media, List<CallEventDue> due)
    {
        var operation = media.Active!;
        var now = time.GetUtcNow();
        operation.StartedAt = now;
        operation.HeardFrom = media.Heard.Count;
        foreach (var prompt in operation.Prompts)
        {
            media.Heard.Add(new HeardLine(prompt, operation.Kind, operation.Context, now));
        }

        var speaking = TimeSpan.FromMilliseconds((double)call.SpeakingMillisecondsPerCharacter * operation.Prompts.Sum(p => p.Length));
        operation.PromptsEndAt = now + speaking;
        if (operation.IsRecognize)
        {
            return; // it listens until the caller answers
        }

        if (speaking > TimeSpan.Zero)
        {
            due.Add(new CallEventDue("advance", At: operation.PromptsEndAt));
        }
        else
        {
            due.Add(new CallEventDue("PlayCompleted", new { resultInformation = new { code = 200, subCode = 0, message = "Action completed successfully." } },
                Context: operation.Context));
            Finish(call, media, due);
        }
    }

    private void Advance(SimulatedRecord call, SimulatedMedia media, List<CallEventDue> due)
    {
        while (media.Active is { IsRecognize: false } playing && playing.PromptsEndAt <= time.GetUtcNow())
        {
            due.Add(new CallEventDue("PlayCompleted", new { resultInformation = new { code = 200, subCode = 0, message = "Action completed successfully." } },
                Context: playing.Context));
            Finish(call, media, due);
        }
    }

    /// <summary>The active operation is done: the next one starts.</summary>
    private void Finish(SimulatedRecord call, SimulatedMedia media, List<CallEventDue> due)
    {
        media.Operations.RemoveAt(0);
        if (media.Operations.Count > 0)
        {
            Start(call, media, due);
        }
    }

    private void CancelAll(SimulatedRecord call, SimulatedMedia media, List<CallEventDue> due)
    {
        foreach (var operation in media.Operations)
        {
            if (operation.StartedAt is not null)
            {
                Cut(call, media, operation);
            }

            due.Add(new CallEventDue(operation.IsRecognize ? "RecognizeCanceled" : "PlayCanceled",
                new { resultInformation = new { code = 400, subCode = 8508, message = "Action falied, the operation was cancelled." } }, Context: operation.Context));
        }

        media.Operations.Clear();
    }

    /// <summary>The operation's prompts stopped now: each one the caller had not heard to its end is cut.</summary>
    private void Cut(SimulatedRecord call, SimulatedMedia media, SimulatedOperation operation)
    {
        var now = time.GetUtcNow();
        var endsAt = operation.StartedAt ?? now;
        for (var i = 0; i < operation.Prompts.Count && operation.HeardFrom + i < media.Heard.Count; i++)
        {
            endsAt += TimeSpan.FromMilliseconds((double)call.SpeakingMillisecondsPerCharacter * operation.Prompts[i].Length);
            if (endsAt > now)
            {
                media.Heard[operation.HeardFrom + i] = media.Heard[operation.HeardFrom + i] with { Cut = true };
            }
        }
    }
}
