using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Telephony;

/// <summary>One call: PartitionKey = org id, RowKey = our call id (<c>call_</c> + 16 hex digits).</summary>
public sealed class CallEntity : TableRow
{
    public string Direction { get; set; } = string.Empty;
    public string? CustomerNumber { get; set; }
    public string? OurNumber { get; set; }
    public string State { get; set; } = CallStates.Ringing;
    public string? CallConnectionId { get; set; }
    public string? ServerCallId { get; set; }
    public string? CorrelationId { get; set; }
    public bool CallerOptedOut { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? ConnectedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? EndReason { get; set; }
    public string? RecordingState { get; set; }
    public string? LastMediaResult { get; set; }

    /// <summary>The campaign attempt this call dispatched (<c>campaign:attempt</c>), so its outcome settles it.</summary>
    public string? CampaignTag { get; set; }

    // A voice agent's conversation on this call (Hiroi.Shared.Voice): ids, counters and what was decided, never what was said.

    /// <summary>The agent that talks on this call; none means the call is answered and silent.</summary>
    public string? AgentId { get; set; }

    /// <summary>Caller utterances accepted so far: the turn the conversation is in (the greeting is turn 0).</summary>
    public int VoiceTurn { get; set; }

    /// <summary>The turn whose listening operation was last decided (-1: none yet), what it was for, and whether ACS took it.</summary>
    public int ListenTurn { get; set; } = -1;

    public string? ListenPurpose { get; set; }
    public bool ListenSent { get; set; }

    /// <summary>The callback (source and id) whose handling runs the current turn of the agent: its redelivery after a crash runs the turn again.</summary>
    public string? TurnOwner { get; set; }

    /// <summary>The turn a filler was played in (-1: none): at most one per turn.</summary>
    public int FillerTurn { get; set; } = -1;

    /// <summary>Re-prompts after silence in the current turn.</summary>
    public int Reprompts { get; set; }

    /// <summary>Why the call is ending (a goodbye is being said), and whether the goodbye reached ACS; null while it goes on.</summary>
    public string? Ending { get; set; }

    public int EndingTurn { get; set; }
    public bool EndingSent { get; set; }

    /// <summary>A transfer to a person: requested, sent, accepted or failed.</summary>
    public string? Transfer { get; set; }

    public int TransferTurn { get; set; }

    /// <summary>Whether this call holds one of its org's concurrent-call slots (released once, when it ends).</summary>
    public bool HoldsCallSlot { get; set; }

    /// <summary>Why the call was refused at the door (a limit); it hears the busy line and is hung up.</summary>
    public string? Refused { get; set; }

    /// <summary>What became of the conversation: completed, transferred, voicemail, opted-out, refused, cap.</summary>
    public string? VoiceOutcome { get; set; }

    /// <summary>Whether a campaign call's first utterance was classified (a person, or an answering machine).</summary>
    public bool Classified { get; set; }

    /// <summary>
    /// Answered with media streaming for a realtime agent: the conversation runs on the self-host's media socket
    /// (Hiroi.Shared.Voice.Realtime), callbacks only carry its lifecycle and the platform's own lines.
    /// </summary>
    public bool Realtime { get; set; }

    /// <summary>A realtime call's media counts once its socket closed: 20 ms frames received, sent, and dropped (either way).</summary>
    public long MediaFramesIn { get; set; }

    public long MediaFramesOut { get; set; }
    public long MediaFramesDropped { get; set; }

    public static string NewId() => "call_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}

public static class CallStates
{
    public const string Ringing = "ringing";
    public const string Dialing = "dialing";
    public const string Answered = "answered";
    public const string Connected = "connected";
    public const string Disconnected = "disconnected";
    public const string Failed = "failed";

    public static bool IsTerminal(string state) => state is Disconnected or Failed;
}

/// <summary>Finds a call by ACS's server call id (recording events carry only that): PartitionKey = SHA-256 of it.</summary>
public sealed class CallIndexEntity() : TableRow("call")
{
    public string OrgId { get; set; } = string.Empty;
    public string CallId { get; set; } = string.Empty;

    public static string KeyFor(string serverCallId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(serverCallId)));
}

public sealed class CallRepository(HiroiTables tables) : OrgScopedRepository<CallEntity>(tables, TableNames.Calls)
{
    public async Task IndexAsync(OrgId org, string callId, string serverCallId, CancellationToken cancellationToken)
    {
        var index = await Tables.GetAsync(TableNames.CallIndex, cancellationToken).ConfigureAwait(false);
        await index.UpsertEntityAsync(new CallIndexEntity { PartitionKey = CallIndexEntity.KeyFor(serverCallId), OrgId = org.Value, CallId = callId },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the index rows of these calls (a row re-pointed at another org's call is left alone).</summary>
    public async Task DeleteIndexAsync(IEnumerable<CallEntity> calls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var index = await Tables.GetAsync(TableNames.CallIndex, cancellationToken).ConfigureAwait(false);
        foreach (var call in calls)
        {
            if (call.ServerCallId is null)
            {
                continue;
            }

            var row = await index.GetEntityIfExistsAsync<CallIndexEntity>(CallIndexEntity.KeyFor(call.ServerCallId), "call", cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (row.HasValue && row.Value!.OrgId == call.PartitionKey && row.Value.CallId == call.RowKey)
            {
                try
                {
                    await index.DeleteEntityAsync(row.Value.PartitionKey, row.Value.RowKey, row.Value.ETag, cancellationToken).ConfigureAwait(false);
                }
                catch (Azure.RequestFailedException e) when (e.Status == 412)
                {
                    // Re-pointed meanwhile: no longer this call's.
                }
            }
        }
    }

    public async Task<(OrgId Org, string CallId)?> FindByServerCallIdAsync(string serverCallId, CancellationToken cancellationToken)
    {
        var index = await Tables.GetAsync(TableNames.CallIndex, cancellationToken).ConfigureAwait(false);
        var row = await index.GetEntityIfExistsAsync<CallIndexEntity>(CallIndexEntity.KeyFor(serverCallId), "call", cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue && Tenancy.OrgId.TryParse(row.Value!.OrgId, out var org) ? (org, row.Value.CallId) : null;
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the call under its ETag, again on a fresh read after a lost race (callbacks of
    /// one call arrive together); null when there is no such call.
    /// </summary>
    /// <param name="known">The call as just read or written (with its ETag), tried first instead of reading it again; not to be used after.</param>
    public Task<CallEntity?> ChangeAsync(OrgId org, string callId, Action<CallEntity> change, CancellationToken cancellationToken, CallEntity? known = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        return ChangeRowAsync(org, callId, call =>
        {
            if (call is null)
            {
                return ((CallEntity?)null, (CallEntity?)null);
            }

            change(call);
            return (call, call);
        }, cancellationToken, known);
    }
}
