using Hiroi.Shared.Campaigns;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Campaigns;

[Lane(Lanes.Unit)]
public class RetryAndPacingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 15, 0, 0, TimeSpan.Zero);

    private static CampaignEntity Campaign(int maxAttempts = 3, string retryOn = "no-answer,busy,failed") => new()
    {
        RowKey = "cmp_0123456789abcdef", MaxAttempts = maxAttempts, RetryOn = retryOn, RetryBackoffMinutes = 10, SenderNumbers = "+15550000001,+15550000002",
    };

    [Fact]
    public void A_retryable_outcome_waits_a_doubling_back_off_while_attempts_remain()
    {
        var campaign = Campaign();
        var contact = new CampaignContactEntity { RowKey = "+12125550100", Attempt = 2 };

        RetryPolicy.Settle(campaign, contact, Outcomes.NoAnswer, Now);

        Assert.Equal(ContactStates.RetryWait, contact.State);
        Assert.True(contact.Open);
        Assert.Equal(Now.AddMinutes(20), contact.DueAt);
    }

    [Theory]
    [InlineData(Outcomes.Declined, 1)] // never retried, even if asked
    [InlineData(Outcomes.NoAnswer, 3)] // attempts used up
    [InlineData(Outcomes.Voicemail, 1)] // not in this campaign's policy
    [InlineData(Outcomes.Delivered, 1)]
    public void Other_outcomes_are_final(string outcome, int attempt)
    {
        var campaign = Campaign(retryOn: "no-answer,busy,declined");
        var contact = new CampaignContactEntity { RowKey = "+12125550100", Attempt = attempt };

        RetryPolicy.Settle(campaign, contact, outcome, Now);

        Assert.Equal(ContactStates.Done, contact.State);
        Assert.False(contact.Open);
        Assert.Equal(outcome, contact.Outcome);
    }

    [Fact]
    public void A_sender_paced_above_one_a_second_sends_a_seconds_worth_at_once_and_never_more_in_any_second()
    {
        var campaign = Campaign();
        campaign.SenderNumbers = "+15550000001";
        campaign.PacingPerSenderPerMinute = 300;
        var pacing = new SenderPacing(campaign);

        var burst = 0;
        while (pacing.Next(Now).Sender is { } sender)
        {
            pacing.Used(sender, Now);
            burst++;
        }

        Assert.Equal(5, burst);
        Assert.Equal(Now.AddSeconds(1), pacing.Next(Now).FreeAt);
        // A minute of steps every 100 ms, each reading the checkpoint afresh: 300 sends, and no 1-s window holds more than 5.
        var sentAt = Enumerable.Repeat(Now, burst).ToList();
        for (var at = Now.AddMilliseconds(100); at < Now.AddMinutes(1); at = at.AddMilliseconds(100))
        {
            var step = new SenderPacing(campaign);
            while (step.Next(at).Sender is { } sender)
            {
                step.Used(sender, at);
                sentAt.Add(at);
            }
        }

        Assert.Equal(300, sentAt.Count);
        Assert.All(sentAt, start => Assert.InRange(sentAt.Count(t => t >= start && t < start.AddSeconds(1)), 1, 5));
    }

    [Fact]
    public void A_pace_between_whole_sends_a_second_keeps_its_average()
    {
        var campaign = Campaign();
        campaign.SenderNumbers = "+15550000001";
        campaign.PacingPerSenderPerMinute = 90;
        // Each step wakes when the sender is next free, as the workflow's timer does.
        var sent = 0;
        for (var at = Now; at < Now.AddMinutes(1); at = new SenderPacing(campaign).Next(at).FreeAt)
        {
            var pacing = new SenderPacing(campaign);
            while (pacing.Next(at).Sender is { } sender)
            {
                pacing.Used(sender, at);
                sent++;
            }
        }

        Assert.InRange(sent, 89, 90);
    }

    [Fact]
    public void Senders_take_turns_and_each_keeps_its_pace()
    {
        var campaign = Campaign();
        campaign.PacingPerSenderPerMinute = 2;
        var pacing = new SenderPacing(campaign);

        var (first, _) = pacing.Next(Now);
        pacing.Used(first!, Now);
        var (second, _) = pacing.Next(Now);
        pacing.Used(second!, Now);
        var (none, freeAt) = pacing.Next(Now);

        Assert.Equal("+15550000001", first);
        Assert.Equal("+15550000002", second);
        Assert.Null(none);
        Assert.Equal(Now.AddSeconds(30), freeAt);
        // The pace survives the checkpoint: a fresh reader of the same row sees the senders busy.
        Assert.Null(new SenderPacing(campaign).Next(Now.AddSeconds(29)).Sender);
        Assert.Equal("+15550000001", new SenderPacing(campaign).Next(Now.AddSeconds(30)).Sender);
    }

    [Fact]
    public void The_daily_cap_holds_until_the_next_utc_day()
    {
        var campaign = Campaign();
        campaign.DailyCap = 2;
        var pacing = new SenderPacing(campaign);
        pacing.Used("+15550000001", Now);
        Assert.Null(pacing.CapReachedUntil(Now));
        pacing.Used("+15550000002", Now);

        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), pacing.CapReachedUntil(Now));
        Assert.Null(new SenderPacing(campaign).CapReachedUntil(Now.AddDays(1)));
    }

    [Theory]
    [InlineData("Microsoft.Communication.CallConnected", null, false, Outcomes.Answered)]
    [InlineData("Microsoft.Communication.CreateCallFailed", 480, false, Outcomes.NoAnswer)]
    [InlineData("Microsoft.Communication.CreateCallFailed", 486, false, Outcomes.Busy)]
    [InlineData("Microsoft.Communication.CreateCallFailed", 603, false, Outcomes.Declined)]
    [InlineData("Microsoft.Communication.CreateCallFailed", 500, false, Outcomes.Failed)]
    [InlineData("Microsoft.Communication.CallDisconnected", null, false, Outcomes.NoAnswer)]
    [InlineData("Microsoft.Communication.CallDisconnected", null, true, null)]
    [InlineData("Microsoft.Communication.PlayCompleted", null, true, null)]
    public void Call_events_map_to_campaign_outcomes(string type, int? subCode, bool connected, string? outcome) =>
        Assert.Equal(outcome, CampaignOutcomes.FromCallEvent(type, subCode, connected));

    [Theory]
    [InlineData("cmp_0123456789abcdef:2", true)]
    [InlineData("cmp_0123456789abcdef", false)]
    [InlineData("other:2", false)]
    [InlineData(null, false)]
    public void Tags_name_the_campaign_and_attempt(string? tag, bool valid)
    {
        Assert.Equal(valid, CampaignContactEntity.TryParseTag(tag, out var id, out var attempt));
        if (valid)
        {
            Assert.Equal(("cmp_0123456789abcdef", 2), (id, attempt));
        }
    }
}
