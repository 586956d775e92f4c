namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// IANA zones whose local time now is inside (9:00-19:00) or outside (0:00-6:00) the legal calling window (8:00-21:00),
/// with two hours' margin, so a campaign test or load run passes at any hour of the day. Also compiled into
/// Hiroi.Benchmarks (a linked file) for the campaign load run's recipients.
/// </summary>
public static class ZonesNow
{
    private static readonly string[] Candidates =
    [
        "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
        "America/Sao_Paulo", "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
        "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
    ];

    public static string Open() => Find(h => h is >= 9 and < 19);

    public static string Quiet() => Find(h => h is >= 0 and < 6);

    private static string Find(Func<int, bool> hour) =>
        Candidates.First(z => hour(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(z)).Hour));
}
