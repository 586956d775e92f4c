using System.Globalization;

namespace Hiroi.Shared.Campaigns;

/// <summary>
/// Pacing per sender number and the daily cap, kept in the campaign's checkpoint. Senders are used in turn. A sender
/// paced at N a minute sends k = N/60 (whole, at least one) in any window of k·60/N seconds, judged from its last k sends
/// (a sliding-window log): at a pace of whole sends per second no one-second window ever holds more than the pace, which
/// is what carriers count, the average never exceeds N, and one step can send a second's worth at once instead of one
/// message per sender. A sender ACS throttled (429) is paused until the time its Retry-After named; the others go on.
/// The day is the UTC day.
/// </summary>
public sealed class SenderPacing
{
    private readonly CampaignEntity _campaign;
    private readonly Dictionary<string, List<DateTimeOffset>> _recent;
    private readonly Dictionary<string, DateTimeOffset> _paused;

    public SenderPacing(CampaignEntity campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        _campaign = campaign;
        _recent = ParseRecent(campaign.SenderRecentSends);
        _paused = ParseRecent(campaign.SenderPausedUntil).Where(p => p.Value.Count > 0).ToDictionary(p => p.Key, p => p.Value[^1], StringComparer.Ordinal);
    }

    /// <summary>When a throttled <paramref name="sender"/> may send again, if it is paused at <paramref name="now"/>.</summary>
    public DateTimeOffset? PausedUntil(string sender, DateTimeOffset now) =>
        _paused.TryGetValue(sender, out var until) && until > now ? until : null;

    /// <summary>Pauses <paramref name="sender"/> until <paramref name="until"/> (ACS throttled it); a longer pause already set stands.</summary>
    public void Pause(string sender, DateTimeOffset until, DateTimeOffset now)
    {
        if (PausedUntil(sender, now) is { } current && current >= until)
        {
            return;
        }

        _paused[sender] = until;
        // Pauses that ended are dropped, so the checkpoint holds only the senders still throttled.
        _campaign.SenderPausedUntil = FormatRecent(_paused.Where(p => p.Value > now).ToDictionary(p => p.Key, p => new List<DateTimeOffset> { p.Value }));
    }

    /// <summary>When the daily cap is reached: the start of the next UTC day; otherwise null.</summary>
    public DateTimeOffset? CapReachedUntil(DateTimeOffset now)
    {
        RollDay(now);
        return _campaign.DailyCap > 0 && _campaign.DispatchedToday >= _campaign.DailyCap ? new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero) : null;
    }

    /// <summary>The next sender free at <paramref name="now"/>, or when the first becomes free.</summary>
    public (string? Sender, DateTimeOffset FreeAt) Next(DateTimeOffset now)
    {
        var senders = _campaign.Senders;
        for (var i = 0; i < senders.Length; i++)
        {
            var sender = senders[(_campaign.SenderCursor + i) % senders.Length];
            if (FreeAt(sender) <= now)
            {
                return (sender, now);
            }
        }

        return (null, senders.Select(FreeAt).Min());
    }

    /// <summary>Whole sends per window, at least one.</summary>
    private int PerWindow => Math.Max(1, _campaign.PacingPerSenderPerMinute / 60);

    /// <summary>
    /// The window that may hold <see cref="PerWindow"/> sends: one second at whole sends per second. Rounded up to the
    /// millisecond the checkpoint keeps, so rounding never lets the average creep above the pace.
    /// </summary>
    private TimeSpan Window => TimeSpan.FromMilliseconds(Math.Ceiling(60_000.0 * PerWindow / _campaign.PacingPerSenderPerMinute));

    /// <summary>A sender is free once the oldest of its last <see cref="PerWindow"/> sends has left the window.</summary>
    private DateTimeOffset FreeAt(string sender)
    {
        var paced = _campaign.PacingPerSenderPerMinute <= 0 || !_recent.TryGetValue(sender, out var sends) || sends.Count < PerWindow
            ? DateTimeOffset.MinValue
            : sends[^PerWindow] + Window;
        return _paused.TryGetValue(sender, out var until) && until > paced ? until : paced;
    }

    /// <summary>Counts a dispatch by <paramref name="sender"/> against its pace and the day's cap.</summary>
    public void Used(string sender, DateTimeOffset now)
    {
        RollDay(now);
        _campaign.DispatchedToday++;
        var senders = _campaign.Senders;
        _campaign.SenderCursor = (Math.Max(0, Array.IndexOf(senders, sender)) + 1) % Math.Max(1, senders.Length);
        if (_campaign.PacingPerSenderPerMinute > 0)
        {
            if (!_recent.TryGetValue(sender, out var sends))
            {
                _recent[sender] = sends = [];
            }

            sends.Add(now);
            if (sends.Count > PerWindow)
            {
                sends.RemoveRange(0, sends.Count - PerWindow);
            }

            _campaign.SenderRecentSends = FormatRecent(_recent);
        }
    }

    /// <summary>"sender=ms,ms;sender=ms": each sender's last sends in Unix milliseconds, oldest first.</summary>
    private static Dictionary<string, List<DateTimeOffset>> ParseRecent(string? stored)
    {
        var recent = new Dictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
        foreach (var pair in (stored ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=');
            if (kv.Length != 2)
            {
                continue;
            }

            var sends = new List<DateTimeOffset>();
            foreach (var ms in kv[1].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (long.TryParse(ms, CultureInfo.InvariantCulture, out var value))
                {
                    sends.Add(DateTimeOffset.FromUnixTimeMilliseconds(value));
                }
            }

            recent[kv[0]] = sends;
        }

        return recent;
    }

    private static string FormatRecent(Dictionary<string, List<DateTimeOffset>> recent) =>
        string.Join(';', recent.Select(kv => kv.Key + "=" + string.Join(',', kv.Value.Select(t => CeilingMilliseconds(t).ToString(CultureInfo.InvariantCulture)))));

    /// <summary>Rounded up, so a reloaded checkpoint never frees a sender earlier than the exact times would.</summary>
    private static long CeilingMilliseconds(DateTimeOffset at) =>
        at.ToUnixTimeMilliseconds() + (at.UtcTicks % TimeSpan.TicksPerMillisecond == 0 ? 0 : 1);

    private void RollDay(DateTimeOffset now)
    {
        var day = now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (_campaign.DayKey != day)
        {
            _campaign.DayKey = day;
            _campaign.DispatchedToday = 0;
        }
    }
}
