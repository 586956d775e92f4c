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
/// exactly once, nobody in quiet hours, on the do-not-contact list or opted out texted at all, and the campaign done.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Eligible = 300;
    private const int Kills = 20;

    private static string Number(int i) => "+1312555" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_campaign_killed_twenty_times_still_texts_every_eligible_contact_exactly_once()
    {
        using var host = new SelfHostProcess();
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Crashy", "--owner", "crash@example.com", "--json")).RootElement;
        await host.StartAsync();
        using var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
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

        // 2 senders at 300 a minute each: the sends take about 30 s of uptime, so the kills land mid-campaign. The end
        // time lets the campaign complete although its night-time contacts never become reachable during the test.
        var campaignId = await CampaignApp.CampaignAsync(admin, listId, senders[0], new
        {
            senderNumbers = senders, pacingPerSenderPerMinute = 300, outcomeTimeoutSeconds = 10, endsAt = DateTimeOffset.UtcNow.AddSeconds(150),
        });
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        for (var kill = 1; kill <= Kills; kill++)
        {
            await Task.Delay(Random.Shared.Next(300, 2500));
            host.Kill();
            await host.StartAsync();
            var progress = JsonDocument.Parse(await admin.GetStringAsync($"/api/campaigns/{campaignId}")).RootElement.GetProperty("progress");
            output.WriteLine($"kill {kill}: {progress.GetProperty("byState")}");
        }

        var done = await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}", c => c.GetProperty("state").GetString() == "completed", seconds: 240);
        output.WriteLine(done.GetProperty("progress").ToString());

        var sent = JsonDocument.Parse(await admin.GetStringAsync("/simulate/sent-sms")).RootElement.EnumerateArray()
            .Where(s => senders.Contains(s.GetProperty("from").GetString())).ToList();
        var recipients = sent.Select(s => s.GetProperty("to").GetString()!).ToList();
        Assert.Equal(Enumerable.Range(0, Eligible).Select(Number), recipients.Order(StringComparer.Ordinal)); // each eligible once
        Assert.DoesNotContain(recipients, r => listed.Contains(r) || optedOut.Contains(r) || night.Contains(r));
        var skipped = done.GetProperty("progress").GetProperty("skippedByReason");
        Assert.Equal(5, skipped.GetProperty("do-not-contact").GetInt32());
        Assert.Equal(5, skipped.GetProperty("opted-out").GetInt32());
        Assert.Equal(20, skipped.GetProperty("campaign-ended").GetInt32());
        output.WriteLine($"resends absorbed by repeatability ids: {sent.Sum(s => s.GetProperty("requests").GetInt32()) - sent.Count}");
    }
}
