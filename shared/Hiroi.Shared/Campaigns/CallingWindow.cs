namespace Hiroi.Shared.Campaigns;

/// <summary>A daily window in local time: from <see cref="StartMinutes"/> (inclusive) to <see cref="EndMinutes"/> (exclusive) after midnight.</summary>
public sealed record DailyWindow(int StartMinutes, int EndMinutes)
{
    /// <summary>TCPA: no telephone solicitation before 8 a.m. or after 9 p.m. at the called party's location.</summary>
    public static readonly DailyWindow Tcpa = new(8 * 60, 21 * 60);

    public bool IsEmpty => StartMinutes >= EndMinutes;

    public DailyWindow Intersect(DailyWindow other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Math.Max(StartMinutes, other.StartMinutes), Math.Min(EndMinutes, other.EndMinutes));
    }

    public bool Contains(TimeSpan timeOfDay) => timeOfDay.TotalMinutes >= StartMinutes && timeOfDay.TotalMinutes < EndMinutes;
}

/// <summary>
/// When a contact may be reached: the first instant at which local time is inside the window in every one of the
/// recipient's possible zones (the strictest reading when a number spans zones). Local times are converted with the
/// zone's rules, so daylight saving is right: a window opening inside a spring-forward gap opens when the gap ends, and
/// one in a fall-back hour opens at the first of the two instants.
/// </summary>
public static class CallingWindow
{
    private static readonly TimeSpan Horizon = TimeSpan.FromDays(8);

    public static bool IsOpen(IReadOnlyList<TimeZoneInfo> zones, DailyWindow window, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(window);
        return zones.All(z => window.Contains(TimeZoneInfo.ConvertTime(at, z).TimeOfDay));
    }

    /// <summary>
    /// <paramref name="from"/> when the window is open in every zone then, else the first instant after it when it is;
    /// null when there is none within eight days (zones too far apart for the window to overlap).
    /// </summary>
    public static DateTimeOffset? NextOpen(IReadOnlyList<TimeZoneInfo> zones, DailyWindow window, DateTimeOffset from)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(window);
        if (zones.Count == 0 || window.IsEmpty)
        {
            return null;
        }

        var candidate = from;
        while (candidate - from < Horizon)
        {
            if (IsOpen(zones, window, candidate))
            {
                return candidate;
            }

            // Move to the latest of the zones' own next openings: no earlier instant can be open in all of them.
            candidate = zones.Max(z => NextOpenIn(z, window, candidate));
        }

        return null;
    }

    private static DateTimeOffset NextOpenIn(TimeZoneInfo zone, DailyWindow window, DateTimeOffset from)
    {
        var local = TimeZoneInfo.ConvertTime(from, zone);
        if (window.Contains(local.TimeOfDay))
        {
            return from;
        }

        var day = local.TimeOfDay.TotalMinutes < window.StartMinutes ? local.Date : local.Date.AddDays(1);
        var opening = ToInstant(zone, day.AddMinutes(window.StartMinutes));
        return opening > from ? opening : from.AddMinutes(1);
    }

    /// <summary>The instant a local wall-clock time names: past a DST gap when it falls in one, the earlier of two when ambiguous.</summary>
    private static DateTimeOffset ToInstant(TimeZoneInfo zone, DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
