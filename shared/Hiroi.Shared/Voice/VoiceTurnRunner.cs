using System.Globalization;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Voice;

/// <summary>
/// One agent turn of a call: the caller's latest utterance and the conversation so far go to the agent through the
/// same metered runtime as SMS and the widget (caps reserved first: the org's, the agent's and the call's own), with the
/// call's own tools beside the tenant's; the reply goes in the transcript. Keyed by call and turn, so a turn that runs
/// again (a redelivered callback) answers from the transcript instead of asking the model again. If the model is slow,
/// <paramref name="fillerDue"/> runs once, so the caller hears something.
/// </summary>
public sealed class VoiceTurnRunner(
    AgentTurnRepository turns, CallTranscriptRepository transcripts, MeteredAgentTurn agentTurn, AuditTrail audit,
    IOptions<VoiceOptions> options, TimeProvider time, ILogger<VoiceTurnRunner> logger)
{
    public const string Channel = "voice";

    public async Task<ReplyKind> RunAsync(OrgId org, CallEntity call, AgentEntity? agent, int turn, Func<Task> fillerDue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(fillerDue);
        var record = await turns.StartAsync(org, TurnKey(call.RowKey, turn), Channel, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (TurnStates.IsFinal(record.State))
        {
            return await KindOfAsync(org, call, turn, record, cancellationToken).ConfigureAwait(false);
        }

        if (agent is null)
        {
            await turns.FinishAsync(org, record, TurnStates.Refused, "the agent is gone", cancellationToken).ConfigureAwait(false);
            return ReplyKind.Refused;
        }

        record.AgentId = agent.RowKey;
        var voiceTools = new VoiceTools();
        var conversation = await ConversationAsync(org, call.RowKey, turn, cancellationToken).ConfigureAwait(false);
        var scope = new ScopeCaps(call.RowKey, "the call's", options.Value.PerCallTokenCap, MicroUsd.FromUsd(options.Value.PerCallCostCapUsd));
        var running = agentTurn.RunAsync(org, agent, Channel, conversation, cancellationToken, scope, voiceTools.For(agent.Voice().TransferNumber is not null));
        var outcome = await WithFillerAsync(running, fillerDue, cancellationToken).ConfigureAwait(false);

        if (outcome.Refusal is { } refusal)
        {
            await audit.RecordAsync(Caller.System(org, "agent:" + agent.RowKey), AuditActions.AgentTurnRefused, "agent:" + agent.RowKey, refusal.Reason, cancellationToken)
                .ConfigureAwait(false);
            await turns.FinishAsync(org, record, TurnStates.Refused, refusal.Reason, cancellationToken).ConfigureAwait(false);
            return ReplyKind.Refused;
        }

        (record.InputTokens, record.OutputTokens, record.CostMicroUsd) = (outcome.InputTokens, outcome.OutputTokens, outcome.CostMicroUsd);
        var tools = outcome.ToolsCalled ?? [];
        await transcripts.WriteOnceAsync(org, new CallTranscriptEntity
        {
            RowKey = CallTranscriptEntity.Key(call.RowKey, turn, TranscriptRoles.Agent), CallId = call.RowKey, Turn = turn, Role = TranscriptRoles.Agent,
            Text = outcome.Text ?? string.Empty, Tools = tools.Count == 0 ? null : string.Join(',', tools.Distinct(StringComparer.Ordinal)), At = time.GetUtcNow(),
        }, cancellationToken).ConfigureAwait(false);
        await turns.FinishAsync(org, record, TurnStates.Replied, null, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Call {CallId} turn {Turn}: {Kind}, {Input}+{Output} tokens", call.RowKey, turn, voiceTools.Kind, outcome.InputTokens, outcome.OutputTokens);
        return voiceTools.Kind;
    }

    public static string TurnKey(string callId, int turn) => callId + "_" + turn.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>Waits for the model; if it takes longer than the filler delay, the filler plays once meanwhile.</summary>
    private async Task<TurnOutcome> WithFillerAsync(Task<TurnOutcome> running, Func<Task> fillerDue, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var filler = Task.Delay(TimeSpan.FromMilliseconds(options.Value.FillerAfterMilliseconds), time, stop.Token);
        if (await Task.WhenAny(running, filler).ConfigureAwait(false) == filler && filler.IsCompletedSuccessfully)
        {
            try
            {
                await fillerDue().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or Azure.RequestFailedException or TimeoutException)
            {
                // A filler is a courtesy: the reply still goes out without it.
                logger.LogWarning(e, "The filler could not be played");
            }
        }

        await stop.CancelAsync().ConfigureAwait(false);
        return await running.ConfigureAwait(false);
    }

    /// <summary>The conversation the agent answers: what the caller said and what the agent said that the caller heard, oldest first.</summary>
    private async Task<List<ChatMessage>> ConversationAsync(OrgId org, string callId, int turn, CancellationToken cancellationToken)
    {
        var lines = await transcripts.OfCallAsync(org, callId, cancellationToken)
            .Where(l => l.Turn <= turn && l.Text.Length > 0 && (l.Role == TranscriptRoles.Caller || (l.Role == TranscriptRoles.Agent && l.Spoken)))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. lines.Select(l => new ChatMessage(l.Role == TranscriptRoles.Caller ? ChatRole.User : ChatRole.Assistant, l.Text))];
    }

    /// <summary>A turn answered before: what its stored reply asked for.</summary>
    private async Task<ReplyKind> KindOfAsync(OrgId org, CallEntity call, int turn, AgentTurnEntity record, CancellationToken cancellationToken)
    {
        if (record.State != TurnStates.Replied)
        {
            return ReplyKind.Refused;
        }

        var line = await transcripts.LineAsync(org, call.RowKey, turn, TranscriptRoles.Agent, cancellationToken).ConfigureAwait(false);
        var tools = line?.Tools?.Split(',') ?? [];
        return tools.Contains(VoiceTools.TransferToHuman) ? ReplyKind.Transfer : tools.Contains(VoiceTools.EndCall) ? ReplyKind.End : ReplyKind.Listen;
    }
}
