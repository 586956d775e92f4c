using System.Net.WebSockets;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>Why a media socket is refused before it is accepted.</summary>
public enum MediaStreamRefusal
{
    /// <summary>No such call, or not one answered for a realtime agent.</summary>
    NotRealtime,

    /// <summary>The call is over.</summary>
    Ended,

    /// <summary>The call's socket is already open in this process.</summary>
    AlreadyStreaming,
}

/// <summary>
/// Realtime calls: ACS streams a realtime agent's call to the self-host's media socket, and each socket is bridged to a
/// realtime model session (<see cref="RealtimeCall"/>) under the same rules as turn-based calls: the conversation's
/// decisions are <see cref="VoiceDecisions"/>' on the call's row, turns and lines go to the same transcript, every
/// response is reserved against the same caps, the tools are the agent's (secrets resolved server-side) and the call's own.
/// </summary>
public sealed class RealtimeCalls(
    CallRepository calls, AgentRepository agents, CallTranscriptRepository transcripts, VoiceLines lines, VoiceCalls voice, VoiceMedia media,
    AgentToolbox toolbox, AgentTurnRepository turns, UsageMeter meter, AuditTrail audit, IRealtimeVoice model, RealtimeCallRegistry registry,
    LocalSpeechChannel speech, IOptions<RealtimeVoiceOptions> options, IOptions<VoiceOptions> voiceOptions, IOptions<AiOptions> ai, TimeProvider time,
    ILoggerFactory loggers)
{
    internal CallRepository Calls => calls;
    internal CallTranscriptRepository Transcripts => transcripts;
    internal VoiceLines Lines => lines;
    internal VoiceCalls Voice => voice;
    internal VoiceMedia Media => media;
    internal AgentTurnRepository Turns => turns;
    internal AuditTrail Audit => audit;
    internal RealtimeVoiceOptions Options => options.Value;
    internal TimeProvider Time => time;
    internal ILogger Logger { get; } = loggers.CreateLogger<RealtimeCalls>();

    /// <summary>Whether a media socket for this call may be accepted (checked before the upgrade, so a refusal reads no frame).</summary>
    public async Task<MediaStreamRefusal?> RefusalAsync(OrgId org, string callId, CancellationToken cancellationToken)
    {
        var call = await calls.FindAsync(org, callId, cancellationToken).ConfigureAwait(false);
        if (call is not { Realtime: true, AgentId: not null })
        {
            return MediaStreamRefusal.NotRealtime;
        }

        if (CallStates.IsTerminal(call.State) || call.Ending is not null)
        {
            return MediaStreamRefusal.Ended;
        }

        return registry.Find(callId) is null ? null : MediaStreamRefusal.AlreadyStreaming;
    }

    /// <summary>
    /// Bridges an accepted media socket to the agent's realtime session until either ends. <paramref name="connectionId"/>
    /// is ACS's <c>x-ms-call-connection-id</c>, used only while the call's row does not have it yet.
    /// </summary>
    public async Task RunAsync(OrgId org, string callId, WebSocket socket, string? connectionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var stats = new RealtimeCallStats();
        if (!registry.TryOpen(callId, stats))
        {
            await new MediaSocket(socket, options.Value, stats).CloseAsync(WebSocketCloseStatus.PolicyViolation, "already streaming", cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            var call = await calls.FindAsync(org, callId, cancellationToken).ConfigureAwait(false);
            var agent = call?.AgentId is { } agentId ? await agents.FindAsync(org, agentId, cancellationToken).ConfigureAwait(false) : null;
            var mediaSocket = new MediaSocket(socket, options.Value, stats);
            var deployment = options.Value.Deployment is { Length: > 0 } configured ? configured : agent?.Model;
            if (call is null || agent is null || deployment is null || ai.Value.Models.GetValueOrDefault(deployment) is not { } price)
            {
                Logger.LogWarning("Call {CallId}: no agent or no priced realtime deployment; the media socket is closed", callId);
                await mediaSocket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "no realtime agent", cancellationToken).ConfigureAwait(false);
                return;
            }

            var scope = new ScopeCaps(callId, "the call's", voiceOptions.Value.PerCallTokenCap, MicroUsd.FromUsd(voiceOptions.Value.PerCallCostCapUsd));
            var meterOfCall = new RealtimeMeter(meter, org, agent, scope, price, options.Value, time);
            var tenantTools = toolbox.For(agent, new ToolCallContext(Caller.System(org, "agent:" + agent.RowKey), agent.RowKey));
            var run = new RealtimeCall(this, org, call, agent, deployment, mediaSocket, meterOfCall, tenantTools, stats, call.CallConnectionId ?? connectionId);
            try
            {
                await run.RunAsync(model, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if ((call.CallConnectionId ?? connectionId) is { } connection)
                {
                    speech.Forget(connection);
                }

                await calls.ChangeAsync(org, callId, c =>
                {
                    (c.MediaFramesIn, c.MediaFramesOut) = (c.MediaFramesIn + stats.FramesIn, c.MediaFramesOut + stats.FramesOut);
                    c.MediaFramesDropped += stats.InboundDropped + stats.OutboundDropped;
                }, CancellationToken.None).ConfigureAwait(false);
                Logger.LogInformation(
                    "Call {CallId} media socket closed: {In} frames in, {Out} out, {Dropped} dropped, {Stops} StopAudio",
                    callId, stats.FramesIn, stats.FramesOut, stats.InboundDropped + stats.OutboundDropped, stats.StopAudioSent);
            }
        }
        finally
        {
            registry.Close(callId);
        }
    }
}
