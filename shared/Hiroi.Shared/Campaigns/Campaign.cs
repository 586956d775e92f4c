using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Campaigns;

public static class CampaignStates
{
    public const string Draft = "draft";
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Cancelled = "cancelled";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static bool IsFinal(string state) => state is Cancelled or Completed or Failed;
}

public static class Channels
{
    public const string Sms = "sms";
    public const string Call = "call";
}

/// <summary>
/// A campaign and its checkpoint: PartitionKey = org id, RowKey = <c>cmp_</c> + 16 hex. The settings are fixed at
/// creation; state, cursor and counters are written by commands and steps, always under the row's ETag.
/// </summary>
public sealed class CampaignEntity : TableRow
{
    // Settings.
    public string Name { get; set; } = string.Empty;
    public string Channel { get; set; } = Channels.Sms;
    public string? AgentId { get; set; }
    public string ListId { get; set; } = string.Empty;
    public string SenderNumbers { get; set; } = string.Empty;
    public string? Message { get; set; }

    /// <summary>A call campaign's message for an answering machine, and whether to leave it or hang up.</summary>
    public string? VoicemailMessage { get; set; }

    public string VoicemailAction { get; set; } = VoicemailActions.Leave;

    public int WindowStartMinutes { get; set; } = 8 * 60;
    public int WindowEndMinutes { get; set; } = 21 * 60;
    public int DailyCap { get; set; }
    public int PacingPerSenderPerMinute { get; set; }
    public int MaxAttempts { get; set; } = 1;
    public int RetryBackoffMinutes { get; set; } = 60;
    public string RetryOn { get; set; } = string.Empty;
    public int OutcomeTimeoutSeconds { get; set; } = 3600;

    /// <summary>When set, contacts not reached by then are skipped and the campaign completes.</summary>
    public DateTimeOffset? EndsAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    // State and checkpoint.
    public string State { get; set; } = CampaignStates.Draft;
    public string? FailureReason { get; set; }
    public bool Enrolled { get; set; }
    public string? EnrollCursor { get; set; }
    public string? DayKey { get; set; }
    public int DispatchedToday { get; set; }
    public string? SenderRecentSends { get; set; }

    /// <summary>Senders ACS throttled, and until when (<see cref="SenderPacing"/>): "sender=ms;sender=ms", Unix milliseconds.</summary>
    public string? SenderPausedUntil { get; set; }
    public int SenderCursor { get; set; }
    public DateTimeOffset? NextEligibleAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? LastStepAt { get; set; }

    [IgnoreDataMember]
    public string[] Senders => SenderNumbers.Split(',', StringSplitOptions.RemoveEmptyEntries);

    [IgnoreDataMember]
    public IReadOnlySet<string> RetryOutcomes => RetryOn.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    public static string NewId() => "cmp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}

public sealed class CampaignRepository(HiroiTables tables) : OrgScopedRepository<CampaignEntity>(tables, TableNames.Campaigns)
{
    /// <summary>
    /// Running campaigns of every org that are due (nothing deferred past <paramref name="now"/>) yet have not stepped
    /// since <paramref name="stalledSince"/>: their workflow was lost. A platform scan, for the timer that restarts them.
    /// </summary>
    public async Task<IReadOnlyList<(OrgId Org, string CampaignId)>> StalledAsync(DateTimeOffset stalledSince, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"State eq {CampaignStates.Running} and StartedAt lt {stalledSince}");
        var stalled = new List<(OrgId, string)>();
        await foreach (var row in table.QueryAsync<CampaignEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if ((row.LastStepAt is null || row.LastStepAt < stalledSince) && (row.NextEligibleAt is null || row.NextEligibleAt <= now)
                && OrgId.TryParse(row.PartitionKey, out var org))
            {
                stalled.Add((org, row.RowKey));
            }
        }

        return stalled;
    }
}

public static class VoicemailActions
{
    public const string Leave = "leave";
    public const string HangUp = "hangup";
}
