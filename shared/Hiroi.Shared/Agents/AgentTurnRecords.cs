using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Agents;

public static class TurnStates
{
    public const string Started = "started";
    public const string Replied = "replied";
    public const string Refused = "refused";
    public const string Skipped = "skipped";

    /// <summary>Every try failed (an ACS outage outlasting the retries): the reason says why, and the audit trail has it.</summary>
    public const string Failed = "failed";

    public static bool IsFinal(string? state) => state is Replied or Refused or Skipped or Failed;
}

/// <summary>
/// One agent turn, keyed by the customer message it answers (<c>turn_</c> + the message's key), so a message is
/// answered once however often its event or workflow runs. Ids and counts only.
/// </summary>
public sealed class AgentTurnEntity : TableRow
{
    public const string Prefix = "turn_";

    public string State { get; set; } = TurnStates.Started;
    public string? AgentId { get; set; }
    public string Channel { get; set; } = string.Empty;
    public DateTimeOffset At { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CostMicroUsd { get; set; }

    /// <summary>Why the turn was refused or skipped (a cap, an opt-out); never message text.</summary>
    public string? Reason { get; set; }

    public static string Key(string messageKey) => Prefix + messageKey;
}

public sealed class AgentTurnRepository(HiroiTables tables) : OrgScopedRepository<AgentTurnEntity>(tables, TableNames.AgentUsage, AgentTurnEntity.Prefix)
{
    /// <summary>The turn's row, created as started if new; a final one means the message was already answered.</summary>
    public async Task<AgentTurnEntity> StartAsync(OrgId org, string messageKey, string channel, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var turn = new AgentTurnEntity { RowKey = AgentTurnEntity.Key(messageKey), Channel = channel, At = now };
        try
        {
            await AddAsync(org, turn, cancellationToken).ConfigureAwait(false);
            return turn;
        }
        catch (ConflictException)
        {
            return await FindAsync(org, turn.RowKey, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("A turn row vanished between its conflict and its read.");
        }
    }

    public async Task FinishAsync(OrgId org, AgentTurnEntity turn, string state, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        (turn.State, turn.Reason) = (state, reason);
        await UpdateAsync(org, turn, cancellationToken).ConfigureAwait(false);
    }
}
