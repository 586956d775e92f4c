using System.Globalization;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Voice;

public static class TranscriptRoles
{
    public const string Caller = "caller";
    public const string Agent = "agent";

    /// <summary>A line the platform said itself (busy, goodbye, a refused turn's note): kept so the transcript reads as the call went.</summary>
    public const string System = "system";
}

/// <summary>
/// One line of a call's conversation on the <c>voice</c> channel: PartitionKey = org id, RowKey =
/// <c>{call id}_{turn:D5}_{a caller | b agent | c + which system line}</c>, so a line is written once however often its callback or
/// turn runs, and a call's lines sort in the order they were said. Card numbers are masked before a line is written.
/// </summary>
public sealed class CallTranscriptEntity : TableRow
{
    public string CallId { get; set; } = string.Empty;
    public int Turn { get; set; }
    public string Role { get; set; } = TranscriptRoles.Caller;
    public string Text { get; set; } = string.Empty;

    /// <summary>The caller's line: <c>speech</c> (with the recognizer's confidence) or <c>dtmf</c>.</summary>
    public string? Via { get; set; }

    public double? Confidence { get; set; }

    /// <summary>The agent's line: the tools it called, by name.</summary>
    public string? Tools { get; set; }

    /// <summary>False for an agent's line that never reached the caller (they spoke again first, or the call ended).</summary>
    public bool Spoken { get; set; } = true;

    /// <summary>
    /// A realtime call's agent line the caller talked over: they heard this many milliseconds of it, and
    /// <see cref="Text"/> holds the part they heard (what the model keeps of it too).
    /// </summary>
    public int? CutAfterMs { get; set; }

    public DateTimeOffset At { get; set; }

    public static string Key(string callId, int turn, string role)
    {
        var order = role switch { TranscriptRoles.Caller => "a", TranscriptRoles.Agent => "b", _ => "c" + role[TranscriptRoles.System.Length..] };
        return $"{callId}_{turn.ToString("D5", CultureInfo.InvariantCulture)}_{order}";
    }
}

public sealed class CallTranscriptRepository(HiroiTables tables) : OrgScopedRepository<CallTranscriptEntity>(tables, TableNames.CallTranscripts)
{
    /// <summary>Writes the line unless it was written before (a redelivered callback or a rerun turn keeps the first).</summary>
    public async Task WriteOnceAsync(OrgId org, CallTranscriptEntity line, CancellationToken cancellationToken)
    {
        try
        {
            await AddAsync(org, line, cancellationToken).ConfigureAwait(false);
        }
        catch (ConflictException)
        {
            // Written by an earlier delivery.
        }
    }

    public Task<CallTranscriptEntity?> LineAsync(OrgId org, string callId, int turn, string role, CancellationToken cancellationToken) =>
        FindAsync(org, CallTranscriptEntity.Key(callId, turn, role), cancellationToken);

    /// <summary>A call's lines in the order they were said.</summary>
    public IAsyncEnumerable<CallTranscriptEntity> OfCallAsync(OrgId org, string callId, CancellationToken cancellationToken) =>
        QueryAsync(org, $"RowKey ge {callId + "_"} and RowKey lt {callId + "`"}", cancellationToken);

    /// <summary>An agent's line the caller talked over: it keeps what they heard (<paramref name="heard"/>), unspoken if nothing.</summary>
    public async Task MarkCutAsync(OrgId org, string callId, int turn, string heard, int heardMs, CancellationToken cancellationToken)
    {
        if (await LineAsync(org, callId, turn, TranscriptRoles.Agent, cancellationToken).ConfigureAwait(false) is { CutAfterMs: null } line)
        {
            (line.Text, line.CutAfterMs, line.Spoken) = (heard, heardMs, heard.Length > 0);
            try
            {
                await UpdateAsync(org, line, cancellationToken).ConfigureAwait(false);
            }
            catch (ConflictException)
            {
                // Changed meanwhile: the first cut stands.
            }
        }
    }

    /// <summary>Marks an agent's line as never heard (the caller spoke again first).</summary>
    public async Task MarkUnspokenAsync(OrgId org, string callId, int turn, CancellationToken cancellationToken)
    {
        if (await LineAsync(org, callId, turn, TranscriptRoles.Agent, cancellationToken).ConfigureAwait(false) is { Spoken: true } line)
        {
            line.Spoken = false;
            try
            {
                await UpdateAsync(org, line, cancellationToken).ConfigureAwait(false);
            }
            catch (ConflictException)
            {
                // Marked by a concurrent delivery.
            }
        }
    }
}
