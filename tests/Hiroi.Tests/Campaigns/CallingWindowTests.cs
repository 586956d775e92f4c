using Hiroi.Shared.Campaigns;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Campaigns;

[Lane(Lanes.Unit)]
public class CallingWindowTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
    private static readonly TimeZoneInfo Honolulu = TimeZoneInfo.FindSystemTimeZoneById("Pacific/Honolulu");
    private static readonly TimeZoneInfo Auckland = TimeZoneInfo.FindSystemTimeZoneById("Pacific/Auckland");

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset? Next(TimeZoneInfo zone, string utc) => CallingWindow.NextOpen([zone], DailyWindow.Tcpa, Utc(utc));

    private static readonly RecipientTimeZones Zones = new(Options.Create(new CampaignOptions()));

    [Theory]
    // 02:00 UTC is 21:00 the evening before in New York (closed: 21:00 is out), 11:00 in Tokyo, 16:00 in Honolulu.
    [InlineData("America/New_York", "2026-11-24T02:00:00Z", "2026-11-24T13:00:00Z")]
    [InlineData("Asia/Tokyo", "2026-11-24T02:00:00Z", "2026-11-24T02:00:00Z")]
    [InlineData("Pacific/Honolulu", "2026-11-24T02:00:00Z", "2026-11-24T02:00:00Z")]
    // 22:30 UTC is 09:30 the next day in Auckland (UTC+13 in November), 12:30 in Honolulu, 07:30 next day in Tokyo.
    [InlineData("Pacific/Auckland", "2026-11-23T22:30:00Z", "2026-11-23T22:30:00Z")]
    [InlineData("Asia/Tokyo", "2026-11-23T22:30:00Z", "2026-11-23T23:00:00Z")]
    // 20:59 in New York is open, 21:00 is not.
    [InlineData("America/New_York", "2026-11-24T01:59:00Z", "2026-11-24T01:59:00Z")]
    public void Zones_on_both_sides_of_midnight_utc_open_at_their_own_eight_am(string zone, string now, string expected) =>
        Assert.Equal(Utc(expected), Next(TimeZoneInfo.FindSystemTimeZoneById(zone), now));

    [Fact]
    public void Spring_forward_opens_at_eight_daylight_time()
    {
        // 2026-03-08: New York goes from EST (UTC-5) to EDT (UTC-4) at 02:00; 08:00 that morning is 12:00 UTC, not 13:00.
        Assert.Equal(Utc("2026-03-08T12:00:00Z"), Next(NewYork, "2026-03-08T06:00:00Z"));
        Assert.Equal(Utc("2026-03-07T13:00:00Z"), Next(NewYork, "2026-03-07T06:00:00Z"));
        Assert.False(CallingWindow.IsOpen([NewYork], DailyWindow.Tcpa, Utc("2026-03-08T11:59:00Z")));
    }

    [Fact]
    public void Fall_back_opens_at_eight_standard_time_and_closes_at_nine_standard_time()
    {
        // 2026-11-01: New York goes back from EDT to EST at 02:00; 08:00 is 13:00 UTC, 21:00 is 02:00 UTC the next day.
        Assert.Equal(Utc("2026-11-01T13:00:00Z"), Next(NewYork, "2026-11-01T05:30:00Z"));
        Assert.True(CallingWindow.IsOpen([NewYork], DailyWindow.Tcpa, Utc("2026-11-02T01:59:00Z")));
        Assert.False(CallingWindow.IsOpen([NewYork], DailyWindow.Tcpa, Utc("2026-11-02T02:00:00Z")));
    }

    [Fact]
    public void A_window_opening_inside_the_spring_forward_gap_opens_when_the_gap_ends()
    {
        // 02:30 does not exist in New York on 2026-03-08: the clock jumps from 02:00 EST to 03:00 EDT (07:00 UTC).
        var window = new DailyWindow(2 * 60 + 30, 21 * 60);
        Assert.Equal(Utc("2026-03-08T07:00:00Z"), CallingWindow.NextOpen([NewYork], window, Utc("2026-03-08T05:00:00Z")));
    }

    [Fact]
    public void A_window_opening_in_the_repeated_fall_back_hour_opens_at_its_first_occurrence()
    {
        // 01:30 happens twice in New York on 2026-11-01: first at 05:30 UTC (EDT), then at 06:30 UTC (EST).
        var window = new DailyWindow(90, 21 * 60);
        Assert.Equal(Utc("2026-11-01T05:30:00Z"), CallingWindow.NextOpen([NewYork], window, Utc("2026-11-01T04:00:00Z")));
    }

    [Fact]
    public void Several_zones_take_the_strictest_reading()
    {
        // Tokyo opens at 23:00 UTC, Honolulu closes at 07:00 UTC: both open from 23:00 UTC on.
        Assert.Equal(Utc("2026-11-23T23:00:00Z"), CallingWindow.NextOpen([Tokyo, Honolulu], DailyWindow.Tcpa, Utc("2026-11-23T20:00:00Z")));
        // New York (09:00 = 14:00 UTC) and Auckland (09:00 = 20:00 UTC) never share a 09:00-10:00 window.
        Assert.Null(CallingWindow.NextOpen([NewYork, Auckland], new DailyWindow(9 * 60, 10 * 60), Utc("2026-11-23T20:00:00Z")));
    }

    [Fact]
    public void The_campaign_window_narrows_the_legal_one()
    {
        var window = DailyWindow.Tcpa.Intersect(new DailyWindow(10 * 60, 22 * 60));
        Assert.Equal(new DailyWindow(10 * 60, 21 * 60), window);
        Assert.Equal(Utc("2026-11-23T15:00:00Z"), CallingWindow.NextOpen([NewYork], window, Utc("2026-11-23T13:30:00Z")));
    }

    [Fact]
    public void The_contacts_own_zone_wins_over_the_numbers()
    {
        var zones = Zones.For("Asia/Tokyo", "+12125550123");
        Assert.Equal("Asia/Tokyo", Assert.Single(zones).Id);
    }

    [Fact]
    public void A_number_is_placed_by_its_area_code()
    {
        Assert.Equal("America/Los_Angeles", Assert.Single(Zones.For(null, "+12065550100")).Id);
        Assert.Equal(["America/Adak", "America/Anchorage"], Zones.For(null, "+19075550100").Select(z => z.Id).Order());
    }

    [Theory]
    [InlineData("+18005550100")] // toll-free: libphonenumber gives every zone of the North American numbering plan
    [InlineData("+15555550100")] // no area code libphonenumber knows
    public void A_number_with_no_zone_information_gets_the_strictest_continental_reading(string number)
    {
        var zones = Zones.For(null, number);
        Assert.Contains(zones, z => z.Id == "America/New_York");
        Assert.Contains(zones, z => z.Id == "America/Los_Angeles");
        // 08:00 in Los Angeles is the first moment it is 08:00 or later everywhere; 21:00 in New York is the end.
        Assert.Equal(Utc("2026-11-23T16:00:00Z"), CallingWindow.NextOpen(zones, DailyWindow.Tcpa, Utc("2026-11-23T12:00:00Z")));
        Assert.False(CallingWindow.IsOpen(zones, DailyWindow.Tcpa, Utc("2026-11-23T15:59:00Z")));
        Assert.False(CallingWindow.IsOpen(zones, DailyWindow.Tcpa, Utc("2026-11-24T02:00:00Z")));
    }
}
