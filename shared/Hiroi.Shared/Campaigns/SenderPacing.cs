using System.Globalization;

namespace Hiroi.Shared.Campaigns;

/// <summary>
/// Pacing per sender number and the daily cap, kept in the campaign's checkpoint. Senders are used in turn; with a pace
/// of N per minute each dispatch books the sender for 60/N seconds after its previous booking, and a sender may be
/// booked up to one second ahead (a token bucket holding one second's sends, at least one): the average never exceeds
/// the pace and a burst never exceeds what carriers count per second, while one step can send a second's worth instead
/// of one message per sender. The day is the UTC day.
/// </summary>
public sealed class SenderPacing
{
    private readonly CampaignEntity _campaign;
    private readonly Dictionary<string, DateTimeOffset> _nextAt;

    public SenderPacing(CampaignEntity campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        _campaign = campaign;
        _nextAt = (campaign.SenderNextAt ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .Where(kv => kv.Length == 2 && long.TryParse(kv[1], CultureInfo.InvariantCulture, out _))
            .ToDictionary(kv => kv[0], kv => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(kv[1], CultureInfo.InvariantCulture)), StringComparer.Ordinal);
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
            if (!_nextAt.TryGetValue(sender, out var booked) || booked - BurstAhead <= now)
            {
                return (sender, now);
            }
        }

        return (null, senders.Select(s => _nextAt[s]).Min() - BurstAhead);
    }

    private TimeSpan Interval => TimeSpan.FromMinutes(1.0 / _campaign.PacingPerSenderPerMinute);

    /// <summary>How far ahead a sender may be booked: one second's sends beyond the first, none under one a second.</summary>
    private TimeSpan BurstAhead => _campaign.PacingPerSenderPerMinute > 60 ? Interval * (Math.Floor(_campaign.PacingPerSenderPerMinute / 60.0) - 1) : TimeSpan.Zero;

    /// <summary>Counts a dispatch by <paramref name="sender"/> against its pace and the day's cap.</summary>
    public void Used(string sender, DateTimeOffset now)
    {
        RollDay(now);
        _campaign.DispatchedToday++;
        var senders = _campaign.Senders;
        _campaign.SenderCursor = (Math.Max(0, Array.IndexOf(senders, sender)) + 1) % Math.Max(1, senders.Length);
        if (_campaign.PacingPerSenderPerMinute > 0)
        {
            _nextAt[sender] = (_nextAt.TryGetValue(sender, out var booked) && booked > now ? booked : now) + Interval;
            _campaign.SenderNextAt = string.Join(';', _nextAt.Select(kv => kv.Key + "=" + kv.Value.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        }
    }

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
