using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Hiroi.Tests.Campaigns;

/// <summary>
/// The self-host is SIGKILLed at random moments, over and over, while it runs a campaign, and started again each time.
/// The simulator's own record (kept in storage, so it survives the kills) must show every eligible contact texted
/// exactly once, nobody in quiet hours, on the do-not-contact list or opted out texted at all; the night-time contacts
/// are still waiting for their morning when the test ends the campaign.
/// </summary>
[Lane(Lanes.Slow)]
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Eligible = 300;
    private const int Kills = 20;

    private static async Task<List<JsonElement>> SentByUsAsync(HttpClient admin, string[] senders) =>
        [.. JsonDocument.Parse(await admin.GetStringAsync("/simulate/sent-sms")).RootElement.EnumerateArray().Where(s => senders.Contains(s.GetProperty("from").GetString()))];

    private static string Number(int i) => "+1312555" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_campaign_killed_twenty_times_still_texts_every_eligible_contact_exactly_once()
    {
        using var host = new SelfHostProcess();
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Crashy", "--owner", "crash@example.com", "--json")).RootElement;
        await host.StartAsync();
        using var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
        var senders = new[] { "+15550501001", "+15550501002" };
        foreach (var sender in senders)
        {
            (await admin.PostAsJsonAsync("/api/numbers", new { number = sender })).EnsureSuccessStatusCode();
        }

        var open = ZonesNow.Open();
        var quiet = ZonesNow.Quiet();
        var csv = new StringBuilder("phone,timezone,sms_consent\n");
        for (var i = 0; i < Eligible + 30; i++)
        {
            csv.Append(Number(i)).Append(',').Append(i < Eligible + 10 ? open : quiet).Append(",yes\n");
        }

        var listId = await CampaignApp.ListWithAsync(admin, csv.ToString());
        var listed = Enumerable.Range(Eligible, 5).Select(Number).ToList();
        var optedOut = Enumerable.Range(Eligible + 5, 5).Select(Number).ToList();
        var night = Enumerable.Range(Eligible + 10, 20).Select(Number).ToList();
        foreach (var number in listed)
        {
            (await admin.PostAsJsonAsync("/api/dnc", new { number })).EnsureSuccessStatusCode();
        }

        foreach (var number in optedOut)
        {
            (await admin.PostAsJsonAsync("/api/optouts", new { number })).EnsureSuccessStatusCode();
        }

        // 2 senders at 300 a minute each: the sends take about 30 s of uptime, so the kills land mid-campaign. No end
        // time: the test ends the campaign itself once the eligible contacts are settled, however long that took.
        var campaignId = await CampaignApp.CampaignAsync(admin, listId, senders[0], new
        {
            senderNumbers = senders, pacingPerSenderPerMinute = 300, outcomeTimeoutSeconds = 10,
        });
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        // Each kill lands as soon as a send since the last start is seen, so it is mid-campaign on a slow machine as well
        // as a fast one, and the kills stop once every eligible contact is texted (a kill after that proves nothing).
        async Task<int> SentAsync() => (await SentByUsAsync(admin, senders)).Count;
        var kills = 0;
        for (var sent = 0; kills < Kills && sent < Eligible; kills++)
        {
            var before = sent;
            sent = await Waits.UntilAsync(SentAsync, n => n > before, "a send since the last start", TimeSpan.FromMinutes(5));
            host.Kill();
            await host.StartAsync();
            var progress = JsonDocument.Parse(await admin.GetStringAsync($"/api/campaigns/{campaignId}")).RootElement.GetProperty("progress");
            output.WriteLine($"kill {kills + 1} after {sent} sends: {progress.GetProperty("byState")}");
        }

        // Between a start's first send and its kill (half a second at most) pacing allows a few sends, so the kills keep
        // landing mid-campaign until the last of them.
        Assert.True(kills >= Kills / 2, $"only {kills} kills landed before the campaign's last send");
        var settled = await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}", c =>
            c.GetProperty("progress").GetProperty("byState") is var s && s.GetProperty("done").GetInt32() == Eligible
            && s.GetProperty("skipped").GetInt32() == 10 && s.GetProperty("pending").GetInt32() == 20, TimeSpan.FromMinutes(10));
        output.WriteLine(settled.GetProperty("progress").ToString());
        // The night-time contacts sit at the end of the list: the settled counts can be read before the gate has reached
        // them (still pending, never examined), so wait until each carries the gate's reason.
        static bool Deferred(JsonElement c) => c.TryGetProperty("reason", out var r) && r.GetString() == "quiet-hours";
        var contacts = (await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}/contacts", all =>
            all.EnumerateArray().Where(c => night.Contains(c.GetProperty("number").GetString()!)).All(Deferred), TimeSpan.FromMinutes(5))).EnumerateArray().ToList();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/campaigns/{campaignId}/cancel", null)).StatusCode);

        var sentSms = await SentByUsAsync(admin, senders);
        var recipients = sentSms.Select(s => s.GetProperty("to").GetString()!).ToList();
        Assert.Equal(Enumerable.Range(0, Eligible).Select(Number), recipients.Order(StringComparer.Ordinal)); // each eligible once
        Assert.DoesNotContain(recipients, r => listed.Contains(r) || optedOut.Contains(r) || night.Contains(r));
        var skipped = settled.GetProperty("progress").GetProperty("skippedByReason");
        Assert.Equal(5, skipped.GetProperty("do-not-contact").GetInt32());
        Assert.Equal(5, skipped.GetProperty("opted-out").GetInt32());
        Assert.All(contacts.Where(c => night.Contains(c.GetProperty("number").GetString()!)), c =>
            Assert.Equal(("pending", "quiet-hours"), (c.GetProperty("state").GetString(), c.GetProperty("reason").GetString()))); // waiting for their morning
        Assert.Equal("cancelled", JsonDocument.Parse(await admin.GetStringAsync($"/api/campaigns/{campaignId}")).RootElement.GetProperty("state").GetString());
        output.WriteLine($"resends absorbed by repeatability ids: {sentSms.Sum(s => s.GetProperty("requests").GetInt32()) - sentSms.Count}");
    }
}
