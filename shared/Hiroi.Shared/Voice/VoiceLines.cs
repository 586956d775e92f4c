using Hiroi.Shared.Agents;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Voice;

/// <summary>
/// What the caller hears for a media operation: the greeting (or a campaign's opening), the agent's reply of the turn
/// from the transcript, or one of the platform's own lines. A line the platform says is written to the transcript
/// (once) as it is first said, so the transcript reads as the call went.
/// </summary>
public sealed class VoiceLines(CallTranscriptRepository transcripts, CampaignRepository campaigns, IOptions<VoiceOptions> options, TimeProvider time)
{
    public async Task<string> ForAsync(OrgId org, CallEntity call, AgentEntity agent, MediaContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(agent);
        var lines = options.Value;
        return context.Purpose switch
        {
            MediaPurpose.Prompt when context.Turn == 0 => await OpeningAsync(org, call, agent, cancellationToken).ConfigureAwait(false),
            MediaPurpose.Prompt => await AgentLineAsync(org, call, context.Turn, cancellationToken).ConfigureAwait(false) ?? lines.RepromptLine,
            MediaPurpose.Reprompt => await SystemLineAsync(org, call, context, "1reprompt" + call.Reprompts, lines.RepromptLine, cancellationToken).ConfigureAwait(false),
            MediaPurpose.Filler => lines.FillerLine,
            MediaPurpose.Apology => await SystemLineAsync(org, call, context, "2apology", lines.TransferFailedLine, cancellationToken).ConfigureAwait(false),
            MediaPurpose.Handoff => await AgentLineAsync(org, call, context.Turn, cancellationToken).ConfigureAwait(false) ?? lines.TransferLine,
            _ => await GoodbyeAsync(org, call, context, cancellationToken).ConfigureAwait(false),
        };
    }

    private async Task<string> OpeningAsync(OrgId org, CallEntity call, AgentEntity agent, CancellationToken cancellationToken)
    {
        if (await AgentLineAsync(org, call, 0, cancellationToken).ConfigureAwait(false) is { } said)
        {
            return said;
        }

        var script = await CampaignAsync(org, call, cancellationToken).ConfigureAwait(false) is { Message: { Length: > 0 } message } ? message : null;
        var opening = script ?? agent.Voice().GreetingFor(agent.Name);
        await WriteAsync(org, call, 0, TranscriptRoles.Agent, opening, cancellationToken).ConfigureAwait(false);
        return opening;
    }

    private async Task<string> GoodbyeAsync(OrgId org, CallEntity call, MediaContext context, CancellationToken cancellationToken)
    {
        var lines = options.Value;
        var line = call.Ending switch
        {
            VoiceEndings.Agent => await AgentLineAsync(org, call, context.Turn, cancellationToken).ConfigureAwait(false) ?? lines.GoodbyeLine,
            VoiceEndings.Voicemail => await CampaignAsync(org, call, cancellationToken).ConfigureAwait(false) is { VoicemailMessage: { Length: > 0 } voicemail }
                ? voicemail
                : lines.GoodbyeLine,
            VoiceEndings.Silence => lines.SilenceGoodbyeLine,
            VoiceEndings.MaxDuration => lines.MaxDurationLine,
            VoiceEndings.Busy => lines.BusyLine,
            VoiceEndings.Cap => lines.CapLine,
            VoiceEndings.OptedOut => lines.OptOutLine,
            _ => lines.GoodbyeLine,
        };
        return call.Ending == VoiceEndings.Agent ? line : await SystemLineAsync(org, call, context, "9goodbye", line, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a campaign wants its voicemail left (else the call just hangs up on a machine).</summary>
    public async Task<bool> LeavesVoicemailAsync(OrgId org, CallEntity call, CancellationToken cancellationToken) =>
        await CampaignAsync(org, call, cancellationToken).ConfigureAwait(false) is { VoicemailAction: not VoicemailActions.HangUp, VoicemailMessage.Length: > 0 };

    private async Task<string?> AgentLineAsync(OrgId org, CallEntity call, int turn, CancellationToken cancellationToken) =>
        (await transcripts.LineAsync(org, call.RowKey, turn, TranscriptRoles.Agent, cancellationToken).ConfigureAwait(false))?.Text;

    /// <summary>A line the platform says, in the transcript under its turn; <paramref name="which"/> starts with its order within the turn.</summary>
    private async Task<string> SystemLineAsync(OrgId org, CallEntity call, MediaContext context, string which, string line, CancellationToken cancellationToken)
    {
        await WriteAsync(org, call, context.Turn, TranscriptRoles.System + which, line, cancellationToken).ConfigureAwait(false);
        return line;
    }

    private Task WriteAsync(OrgId org, CallEntity call, int turn, string role, string text, CancellationToken cancellationToken) =>
        transcripts.WriteOnceAsync(org, new CallTranscriptEntity
        {
            RowKey = CallTranscriptEntity.Key(call.RowKey, turn, role), CallId = call.RowKey, Turn = turn,
            Role = role.StartsWith(TranscriptRoles.System, StringComparison.Ordinal) ? TranscriptRoles.System : role, Text = text, At = time.GetUtcNow(),
        }, cancellationToken);

    private async Task<CampaignEntity?> CampaignAsync(OrgId org, CallEntity call, CancellationToken cancellationToken) =>
        CampaignContactEntity.TryParseTag(call.CampaignTag, out var campaignId, out _)
            ? await campaigns.FindAsync(org, campaignId, cancellationToken).ConfigureAwait(false)
            : null;
}
