using System.Threading.Channels;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>A caller turn's record (ids and counts, as for turn-based calls) and what its responses used.</summary>
internal sealed class TurnRecord
{
    public AgentTurnEntity? Entity { get; set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }
    public long CostMicroUsd { get; private set; }

    public void Add(RealtimeUsage usage, long cost) =>
        (InputTokens, OutputTokens, CostMicroUsd) = (InputTokens + usage.InputTokens, OutputTokens + usage.OutputTokens, CostMicroUsd + cost);
}

/// <summary>
/// Everything a realtime call stores, done by one worker in the order it was asked, off the audio path: transcript
/// lines (card numbers masked), turn records, settled usage, audit entries and the decisions on the call's row (the row
/// as decided goes back to the call). A failure is logged and the next piece of work goes on.
/// </summary>
internal sealed class RealtimeCallRecords(RealtimeCalls services, OrgId org, CallEntity call, AgentEntity agent, RealtimeMeter meter, Action<CallEntity> decided)
{
    private readonly Channel<Func<Task>> _work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private DateTimeOffset Now => services.Time.GetUtcNow();

    public async Task RunAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                services.Logger.LogError(e, "Call {CallId}: storing the conversation failed", call.RowKey);
            }
        }
    }

    /// <summary>No more work: <see cref="RunAsync"/> ends once what was asked is done.</summary>
    public void Complete() => _work.Writer.TryComplete();

    public void CallerLine(int turn, string text, string via)
    {
        var line = new CallTranscriptEntity
        {
            RowKey = CallTranscriptEntity.Key(call.RowKey, turn, TranscriptRoles.Caller), CallId = call.RowKey, Turn = turn, Role = TranscriptRoles.Caller,
            Text = CardNumbers.Mask(text), Via = via, At = Now,
        };
        Do(() => services.Transcripts.WriteOnceAsync(org, line, CancellationToken.None));
    }

    /// <summary>The agent's line of a turn: what the caller heard of it (all of it unless <paramref name="cutAfterMs"/>).</summary>
    public void AgentLine(int turn, string text, IEnumerable<string> tools, int? cutAfterMs)
    {
        var called = tools.Distinct(StringComparer.Ordinal).ToList();
        var line = new CallTranscriptEntity
        {
            RowKey = CallTranscriptEntity.Key(call.RowKey, turn, TranscriptRoles.Agent), CallId = call.RowKey, Turn = turn, Role = TranscriptRoles.Agent,
            Text = CardNumbers.Mask(text), Tools = called.Count == 0 ? null : string.Join(',', called), At = Now,
            CutAfterMs = cutAfterMs, Spoken = cutAfterMs is null || text.Length > 0,
        };
        Do(() => services.Transcripts.WriteOnceAsync(org, line, CancellationToken.None));
    }

    /// <summary>The greeting (written as the call began) was cut: it keeps what the caller heard.</summary>
    public void GreetingCut(string heard, int heardMs) =>
        Do(() => services.Transcripts.MarkCutAsync(org, call.RowKey, 0, CardNumbers.Mask(heard), heardMs, CancellationToken.None));

    /// <summary>The greeting was never said.</summary>
    public void GreetingUnheard() => Do(() => services.Transcripts.MarkUnspokenAsync(org, call.RowKey, 0, CancellationToken.None));

    public void StartTurn(int turn, TurnRecord record) =>
        Do(async () => record.Entity = await services.Turns.StartAsync(org, VoiceTurnRunner.TurnKey(call.RowKey, turn), VoiceTurnRunner.Channel, Now, CancellationToken.None)
            .ConfigureAwait(false));

    public void FinishTurn(TurnRecord record, string state, string? reason) =>
        Do(async () =>
        {
            if (record.Entity is { } entity)
            {
                (entity.AgentId, entity.InputTokens, entity.OutputTokens, entity.CostMicroUsd) = (agent.RowKey, record.InputTokens, record.OutputTokens, record.CostMicroUsd);
                await services.Turns.FinishAsync(org, entity, state, reason, CancellationToken.None).ConfigureAwait(false);
            }
        });

    /// <summary>A response's reservation replaced by what it used (counted on its turn's record).</summary>
    public void Settle(UsageReservation reservation, RealtimeUsage usage, bool newTurn, TurnRecord? record) =>
        Do(async () =>
        {
            await meter.SettleAsync(reservation, usage, newTurn).ConfigureAwait(false);
            record?.Add(usage, meter.CostOf(usage));
        });

    public void SettleInFull(UsageReservation reservation) => Do(() => meter.SettleInFullAsync(reservation));

    /// <summary>A reservation no response will use (once it is taken).</summary>
    public void Release(Task<HeldReservation> held) =>
        Do(async () =>
        {
            if (await held.ConfigureAwait(false) is { Reservation: { } unused })
            {
                await meter.ReleaseAsync(unused).ConfigureAwait(false);
            }
        });

    public void Refused(string reason) =>
        Do(() => services.Audit.RecordAsync(Caller.System(org, "agent:" + agent.RowKey), AuditActions.AgentTurnRefused, "agent:" + agent.RowKey, reason, CancellationToken.None));

    /// <summary>Decides on the call's row, after what was stored before, and hands the row as decided to the call.</summary>
    public void Decide(VoiceEvent voiceEvent) =>
        Do(async () =>
        {
            if (await services.Voice.DecideAsync(org, call.RowKey, voiceEvent, CancellationToken.None).ConfigureAwait(false) is { } row)
            {
                decided(row);
            }
        });

    /// <summary>The model went away with the caller still on the line: nobody is left to talk.</summary>
    public void HangUp() =>
        Do(async () =>
        {
            if (await services.Calls.FindAsync(org, call.RowKey, CancellationToken.None).ConfigureAwait(false) is { } row && !CallStates.IsTerminal(row.State))
            {
                await services.Media.HangUpAsync(row, CancellationToken.None).ConfigureAwait(false);
            }
        });

    private void Do(Func<Task> work) => _work.Writer.TryWrite(work);
}
