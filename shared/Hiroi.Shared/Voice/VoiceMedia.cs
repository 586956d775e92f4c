using System.Text.RegularExpressions;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Voice;

/// <summary>
/// Speaks, listens, transfers and hangs up through Call Automation, then records on the call's row that ACS took the
/// operation, so the next event does not send it again. ACS takes no repeatability id for play and recognize: an
/// operation whose acceptance was not recorded (a crash in between) is sent again with <c>interruptCallMediaOperation</c>,
/// so the caller at worst hears its first words twice, never two copies at once.
/// </summary>
public sealed partial class VoiceMedia(
    IAcsClient acs, CallRepository calls, VoiceLines lines, IOptions<VoiceOptions> options, TimeProvider time, ILogger<VoiceMedia> logger)
{
    /// <summary>Speaks the context's line and listens for the caller.</summary>
    public async Task ListenAsync(OrgId org, CallEntity call, AgentEntity agent, MediaContext context, bool interruptCurrent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(agent);
        var voice = agent.Voice();
        var line = await lines.ForAsync(org, call, agent, context, cancellationToken).ConfigureAwait(false);
        var sent = await SendAsync(call, "Recognize", () => acs.RecognizeAsync(call.CallConnectionId!, new RecognizeRequest(
            call.CustomerNumber!, Sentences(line, voice), voice.AcceptDtmf, InterruptPrompt: true,
            // A filler listens while the model thinks: its silence must outlast any turn, and is ignored anyway.
            context.Purpose == MediaPurpose.Filler ? 120 : voice.InitialSilenceSeconds, voice.EndSilenceMs, voice.Locale,
            context.ToString(), interruptCurrent), cancellationToken), cancellationToken).ConfigureAwait(false);
        if (sent && context.Purpose != MediaPurpose.Filler)
        {
            await MarkAsync(org, call, c =>
            {
                if (c.ListenTurn == context.Turn && c.ListenPurpose == context.Purpose.ToString())
                {
                    c.ListenSent = true;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Says the goodbye (then the call hangs up on its PlayCompleted) or the hand-off line (then it transfers).</summary>
    public async Task SayAsync(OrgId org, CallEntity call, AgentEntity agent, MediaContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(agent);
        if (call.Ending == VoiceEndings.Voicemail && !await lines.LeavesVoicemailAsync(org, call, cancellationToken).ConfigureAwait(false))
        {
            await HangUpAsync(call, cancellationToken).ConfigureAwait(false);
            await MarkAsync(org, call, c => c.EndingSent = true, cancellationToken).ConfigureAwait(false);
            return;
        }

        var line = await lines.ForAsync(org, call, agent, context, cancellationToken).ConfigureAwait(false);
        var sent = await SendAsync(call, "Play", () => acs.PlayAsync(call.CallConnectionId!, new PlayRequest(
            Sentences(line, agent.Voice()), context.ToString(), InterruptCurrentMedia: true), cancellationToken), cancellationToken).ConfigureAwait(false);
        if (!sent)
        {
            // The call is gone: there is nobody to say it to.
            await MarkAsync(org, call, c => c.EndingSent = true, cancellationToken).ConfigureAwait(false);
            return;
        }

        await MarkAsync(org, call, c =>
        {
            if (context.Purpose == MediaPurpose.Goodbye && c.Ending is not null)
            {
                c.EndingSent = true;
            }
            else if (context.Purpose == MediaPurpose.Handoff && c.Transfer == TransferStates.Requested)
            {
                c.Transfer = TransferStates.Saying;
            }
            else if (context.Listens && c.ListenTurn == context.Turn && c.ListenPurpose == context.Purpose.ToString())
            {
                // A realtime call plays a listening line (its stream does the listening).
                c.ListenSent = true;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task TransferAsync(OrgId org, CallEntity call, AgentEntity agent, int turn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(agent);
        if (agent.Voice().TransferNumber is not { } target)
        {
            return;
        }

        await SendAsync(call, "Transfer", () => acs.TransferAsync(call.CallConnectionId!, new TransferRequest(
            target, call.OurNumber, new MediaContext(turn, MediaPurpose.Handoff).ToString(), Idempotency.ToGuid($"transfer:{call.RowKey}:{turn}"),
            call.ConnectedAt ?? time.GetUtcNow()), cancellationToken), cancellationToken).ConfigureAwait(false);
        await MarkAsync(org, call, c =>
        {
            if (c.Transfer == TransferStates.HandoffSaid)
            {
                c.Transfer = TransferStates.Sent;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task CancelAsync(CallEntity call, CancellationToken cancellationToken) =>
        SendAsync(call, "CancelAllMediaOperations", () => acs.CancelAllMediaOperationsAsync(call.CallConnectionId!, cancellationToken), cancellationToken);

    public Task HangUpAsync(CallEntity call, CancellationToken cancellationToken) =>
        SendAsync(call, "HangUp", () => acs.HangUpAsync(call.CallConnectionId!, cancellationToken), cancellationToken);

    /// <summary>
    /// The reply as ACS plays it: one prompt per sentence (so a long reply is interruptible between them and none hits a
    /// text limit), at most <see cref="VoiceOptions.MaxReplyCharacters"/> in all, cut at a sentence end.
    /// </summary>
    internal IReadOnlyList<SpokenLine> Sentences(string line, AgentVoice voice)
    {
        var max = options.Value.MaxReplyCharacters;
        var prompts = new List<SpokenLine>();
        var total = 0;
        foreach (Match sentence in SentencePattern().Matches(line))
        {
            var text = sentence.Value.Trim();
            if (text.Length == 0)
            {
                continue;
            }

            if (total + text.Length > max)
            {
                if (prompts.Count == 0)
                {
                    prompts.Add(new SpokenLine(text[..max], voice.Locale, voice.VoiceName));
                }

                break;
            }

            total += text.Length;
            prompts.Add(new SpokenLine(text, voice.Locale, voice.VoiceName));
        }

        return prompts.Count == 0 ? [new SpokenLine(line.Length > max ? line[..max] : line, voice.Locale, voice.VoiceName)] : prompts;
    }

    /// <summary>Sends one operation; false when ACS says the call is gone (a 4xx), so it is not sent again.</summary>
    private async Task<bool> SendAsync(CallEntity call, string operation, Func<Task> send, CancellationToken cancellationToken)
    {
        if (call.CallConnectionId is null)
        {
            return false;
        }

        try
        {
            await send().ConfigureAwait(false);
            return true;
        }
        catch (AcsRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("ACS refused {Operation} on call {CallId}: {Status}", operation, call.RowKey, e.Status);
            return false;
        }
    }

    /// <summary>Records on the call that ACS took an operation: tried first on the row as this decision left it (no read when nobody wrote since).</summary>
    private async Task MarkAsync(OrgId org, CallEntity call, Action<CallEntity> mark, CancellationToken cancellationToken) =>
        await calls.ChangeAsync(org, call.RowKey, mark, cancellationToken, known: call).ConfigureAwait(false);

    // A sentence: up to and including its end mark (and closing quotes), or the rest of the text.
    [GeneratedRegex(@"[^.!?]+(?:[.!?]+[""')\]]*|$)")]
    private static partial Regex SentencePattern();
}
