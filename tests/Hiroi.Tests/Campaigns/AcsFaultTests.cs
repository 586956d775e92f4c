using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Hiroi.Tests.Campaigns;

/// <summary>The campaign app with the simulator in fault mode (<c>Hiroi:AcsSimulator:Faults</c>) and short ACS retry waits.</summary>
public sealed class FaultyAcsApp(params (string Key, string Value)[] settings) : CampaignApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:Acs:RetryBaseDelayMilliseconds", "10");
        builder.UseSetting("Hiroi:Acs:AttemptTimeoutMilliseconds", "1500");
        builder.UseSetting("Hiroi:Campaigns:SendRetrySeconds", "1");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>What the simulator answered each faulted send of <paramref name="operation"/>, by repeatability id.</summary>
    public async Task<Dictionary<string, JsonElement[]>> FaultLogAsync(string operation) =>
        (await CreateClient().GetFromJsonAsync<Dictionary<string, JsonElement[]>>($"/simulate/faults/{operation}"))!;

    public static string[] Answers(JsonElement[] requests) => [.. requests.Select(r => r.GetProperty("answer").GetString()!)];
}

/// <summary>
/// Campaigns against an ACS that throttles, fails and hangs: every eligible contact is texted exactly once (the
/// simulator's record, one per recipient, with the resends its repeatability ids absorbed), a throttled sender slows only
/// itself, and a send that never gets through ends with its reason on the contact.
/// </summary>
public sealed class AcsFaultTests
{
    private static async Task<(HttpClient Admin, string[] Senders)> OrgAsync(CampaignApp app, int senders)
    {
        var (_, admin, first) = await app.OrgWithSenderAsync();
        var numbers = new List<string> { first };
        for (var i = 1; i < senders; i++)
        {
            numbers.Add(Unique.PhoneNumber());
            (await admin.PostAsJsonAsync("/api/numbers", new { number = numbers[^1] })).EnsureSuccessStatusCode();
        }

        return (admin, [.. numbers]);
    }

    private static async Task<(string CampaignId, List<string> Contacts)> StartAsync(HttpClient admin, string[] senders, int contacts)
    {
        var zone = ZonesNow.Open();
        var numbers = Enumerable.Range(0, contacts).Select(_ => Unique.DialableNumber()).ToList();
        var csv = new StringBuilder("phone,timezone,sms_consent\n");
        numbers.ForEach(n => csv.Append(n).Append(',').Append(zone).Append(",yes\n"));
        var listId = await CampaignApp.ListWithAsync(admin, csv.ToString());
        var campaignId = await CampaignApp.CampaignAsync(admin, listId, senders[0], new { senderNumbers = senders, outcomeTimeoutSeconds = 10 });
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();
        return (campaignId, numbers);
    }

    private static Task<JsonElement> CompletedAsync(HttpClient admin, string campaignId) =>
        CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}", c => c.GetProperty("state").GetString() == "completed", TimeSpan.FromMinutes(3));

    private static async Task<List<JsonElement>> SentFromAsync(CampaignApp app, string[] senders) =>
        [.. (await app.SentSmsAsync()).EnumerateArray().Where(s => senders.Contains(s.GetProperty("from").GetString()))];

    private const string Pattern = "429:1,timeout,500,503,500,lost,ok";

    [Fact]
    public async Task A_campaign_under_throttling_errors_and_timeouts_texts_each_contact_exactly_once()
    {
        // Every third send: a 429 (the step retries it after its Retry-After), then a hang, a 500, a 503 and a 500 (more
        // than the client's own retries: the step tries the same attempt again later), then a reply lost after the send
        // and at last an answer to the same request.
        using var app = new FaultyAcsApp(
            ("Hiroi:AcsSimulator:Faults:Sms:Pattern", Pattern), ("Hiroi:AcsSimulator:Faults:Sms:Every", "3"));
        var (admin, senders) = await OrgAsync(app, 3);
        var (campaignId, contacts) = await StartAsync(admin, senders, 60);

        var done = await CompletedAsync(admin, campaignId);

        Assert.Equal(60, done.GetProperty("progress").GetProperty("byOutcome").GetProperty("delivered").GetInt32());
        var sent = await SentFromAsync(app, senders);
        Assert.Equal(contacts.Order(StringComparer.Ordinal), sent.Select(s => s.GetProperty("to").GetString()!).Order(StringComparer.Ordinal)); // each once
        var faulted = await app.FaultLogAsync("sms");
        Assert.Equal(20, faulted.Count);
        Assert.All(faulted.Values, requests => Assert.Equal(Pattern.Split(','), FaultyAcsApp.Answers(requests)[..7]));
        // The lost reply's send was recorded then; its retries were the same request, absorbed by the repeatability id.
        Assert.Equal(20, sent.Count(s => s.GetProperty("requests").GetInt32() >= 2));
    }

    [Fact]
    public async Task A_throttled_sender_waits_its_retry_after_while_the_other_sender_goes_on()
    {
        var throttledSender = Unique.PhoneNumber();
        // One send at a time, so the order of the sends is the evidence: the other sender's texts do not wait behind the
        // throttled one's pauses.
        using var app = new FaultyAcsApp(
            ("Hiroi:AcsSimulator:Faults:Sms:Pattern", "429:1,ok"), ("Hiroi:AcsSimulator:Faults:Sms:From", throttledSender),
            ("Hiroi:Campaigns:DispatchConcurrency", "1"));
        var (admin, others) = await OrgAsync(app, 1);
        (await admin.PostAsJsonAsync("/api/numbers", new { number = throttledSender })).EnsureSuccessStatusCode();
        var senders = new[] { throttledSender, others[0] };
        var (campaignId, contacts) = await StartAsync(admin, senders, 8);

        await CompletedAsync(admin, campaignId);

        var sent = await SentFromAsync(app, senders);
        Assert.Equal(contacts.Order(StringComparer.Ordinal), sent.Select(s => s.GetProperty("to").GetString()!).Order(StringComparer.Ordinal));
        var throttled = (await app.FaultLogAsync("sms")).Values.ToList();
        Assert.Equal(4, throttled.Count);
        Assert.All(throttled, requests =>
        {
            Assert.Equal(["429:1", "ok"], FaultyAcsApp.Answers(requests));
            // Retry-After honoured: the same send came back no sooner than the second ACS asked for.
            Assert.True(requests[1].GetProperty("at").GetDateTimeOffset() - requests[0].GetProperty("at").GetDateTimeOffset() >= TimeSpan.FromSeconds(1));
        });
        // The other sender sent all of its texts before the throttled sender's first retry.
        var firstRetry = throttled.Min(r => r[1].GetProperty("at").GetDateTimeOffset());
        var unthrottled = sent.Where(s => s.GetProperty("from").GetString() == others[0]).ToList();
        Assert.Equal(4, unthrottled.Count);
        Assert.All(unthrottled, s => Assert.True(s.GetProperty("timestamp").GetDateTimeOffset() < firstRetry, "a text of the other sender waited for the throttled one"));
    }

    [Fact]
    public async Task A_sender_that_always_fails_leaves_its_contacts_with_a_reason_and_the_campaign_completes()
    {
        var broken = Unique.PhoneNumber();
        using var app = new FaultyAcsApp(
            ("Hiroi:AcsSimulator:Faults:Sms:Pattern", "500"), ("Hiroi:AcsSimulator:Faults:Sms:From", broken),
            ("Hiroi:Acs:MaxRetries", "1"), ("Hiroi:Campaigns:SendTries", "2"));
        var (admin, others) = await OrgAsync(app, 1);
        (await admin.PostAsJsonAsync("/api/numbers", new { number = broken })).EnsureSuccessStatusCode();
        var (campaignId, _) = await StartAsync(admin, [broken, others[0]], 4);

        var done = await CompletedAsync(admin, campaignId);

        var outcomes = done.GetProperty("progress").GetProperty("byOutcome");
        Assert.Equal((2, 2), (outcomes.GetProperty("delivered").GetInt32(), outcomes.GetProperty("send-failed").GetInt32()));
        var contacts = JsonDocument.Parse(await admin.GetStringAsync($"/api/campaigns/{campaignId}/contacts")).RootElement.EnumerateArray().ToList();
        Assert.All(contacts.Where(c => c.GetProperty("outcome").GetString() == "send-failed"), c =>
            Assert.Equal(("done", "ACS answered 500; not sent after 2 tries"), (c.GetProperty("state").GetString(), c.GetProperty("reason").GetString())));
        Assert.Empty(await SentFromAsync(app, [broken]));
        Assert.All((await app.FaultLogAsync("sms")).Values, requests => Assert.Equal(4, requests.Length)); // 2 tries of 2 requests each
    }
}
