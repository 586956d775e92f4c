using System.Globalization;

namespace Hiroi.Benchmarks.Chaos;

/// <summary>
/// One row of the chaos table: what ran, what was taken away, the answers that were not a success (by status, or
/// <c>timeout</c> and <c>network</c> when none came), the slowest answer while the dependency was away, how long after it
/// came back the load was served again, and what the run found doubled (where it can tell) or missing once everything
/// had settled.
/// </summary>
public sealed record ChaosResult(
    string Scenario, string Load, string Outage, IReadOnlyDictionary<string, int> Errors, TimeSpan Slowest, TimeSpan? Recovery, int? Duplicates, int Losses)
{
    /// <summary>A 500, a lost or doubled item: what the run must never see. 503 and its kin are the stated answer to an outage.</summary>
    public bool Failed => Duplicates > 0 || Losses > 0 || Recovery is null || Errors.Keys.Any(k => k is "500" or "502" or "504");

    public static string Header =>
        $"{"scenario",-22} {"load",-22} {"outage",-22} {"errors by status",-28} {"slowest",8} {"recovery",9} {"dup",4} {"lost",5}";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Scenario,-22} {Load,-22} {Outage,-22} {ErrorText,-28} {Slowest.TotalSeconds,7:F1}s {RecoveryText,9} {DuplicateText,4} {Losses,5}");

    private string DuplicateText => Duplicates is { } d ? d.ToString(CultureInfo.InvariantCulture) : "-";

    private string ErrorText => Errors.Count == 0 ? "none" : string.Join(' ', Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}x{e.Value}"));

    private string RecoveryText => Recovery is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r.TotalSeconds:F1}s") : "never";
}
