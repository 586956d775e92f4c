using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Durable;
using Hiroi.Durable.Campaigns;
using Hiroi.Shared.Campaigns;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Campaigns;

public class CampaignTests(CampaignApp app) : IClassFixture<CampaignApp>
{
    private static string Number(int i) => "+1212555" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsSettled(JsonElement campaign) =>
        campaign.GetProperty("progress").GetProperty("byState") is var s
        && s.GetProperty("pending").GetInt32() + s.GetProperty("dispatching").GetInt32() + s.GetProperty("awaiting").GetInt32() + s.GetProperty("retry-wait").GetInt32() == 0
        && campaign.GetProperty("progress").GetProperty("total").GetInt32() > 0;

    [Fact]
    public async Task A_campaign_texts_each_eligible_contact_once_and_skips_or_defers_the_rest()
    {
        var (_, admin, sender) = await app.OrgWithSenderAsync();
        var open = ZonesNow.Open();
        var quiet = ZonesNow.Quiet();
        var csv = new StringBuilder("phone,name,timezone,sms_consent\n");
        for (var i = 0; i < 12; i++)
        {
            csv.Append(Number(100 + i)).Append(",Person ").Append(i).Append(',').Append(open).Append(",yes\n");
        }

        csv.Append(Number(200)).Append(",Night owl,").Append(quiet).Append(",yes\n");
        csv.Append(Number(201)).Append(",Listed,").Append(open).Append(",yes\n");
        csv.Append(Number(202)).Append(",Stopped,").Append(open).Append(",yes\n");
        csv.Append(Number(203)).Append(",No consent,").Append(open).Append(",no\n");
        var listId = await CampaignApp.ListWithAsync(admin, csv.ToString());
        (await admin.PostAsJsonAsync("/api/dnc", new { number = Number(201) })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/optouts", new { number = Number(202) })).EnsureSuccessStatusCode();

        var campaignId = await CampaignApp.CampaignAsync(admin, listId, sender);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).StatusCode);

        var done = await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}",
            c => c.GetProperty("progress").GetProperty("byOutcome").TryGetProperty("delivered", out var d) && d.GetInt32() == 12
                && c.GetProperty("progress").GetProperty("skippedByReason").EnumerateObject().Sum(r => r.Value.GetInt32()) == 3);

        var progress = done.GetProperty("progress");
        Assert.Equal("running", done.GetProperty("state").GetString()); // the night owl is still ahead
        Assert.Equal(1, progress.GetProperty("skippedByReason").GetProperty("do-not-contact").GetInt32());
        Assert.Equal(1, progress.GetProperty("skippedByReason").GetProperty("opted-out").GetInt32());
        Assert.Equal(1, progress.GetProperty("skippedByReason").GetProperty("no-consent").GetInt32());
        var contacts = JsonDocument.Parse(await admin.GetStringAsync($"/api/campaigns/{campaignId}/contacts")).RootElement;
        var owl = contacts.EnumerateArray().Single(c => c.GetProperty("number").GetString() == Number(200));
        Assert.Equal("pending", owl.GetProperty("state").GetString());
        Assert.Equal("quiet-hours", owl.GetProperty("reason").GetString());
        Assert.True(owl.GetProperty("dueAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(1));

        var sent = (await app.SentSmsAsync()).EnumerateArray().Where(s => s.GetProperty("from").GetString() == sender).ToList();
        Assert.Equal(Enumerable.Range(100, 12).Select(Number), sent.Select(s => s.GetProperty("to").GetString()).Order());
        Assert.All(sent, s => Assert.Equal(1, s.GetProperty("requests").GetInt32()));
    }

    [Fact]
    public async Task Workers_racing_on_one_campaign_never_send_to_a_contact_twice()
    {
        var (org, admin, sender) = await app.OrgWithSenderAsync();
        var zone = ZonesNow.Open();
        var csv = "phone,timezone,sms_consent\n" + string.Concat(Enumerable.Range(300, 60).Select(i => $"{Number(i)},{zone},true\n"));
        var listId = await CampaignApp.ListWithAsync(admin, csv);
        var campaignId = await CampaignApp.CampaignAsync(admin, listId, sender, new { outcomeTimeoutSeconds = 10 });
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        // Besides the app's own runner, four more workers step the same campaign with whatever token is current.
        var step = app.Services.GetRequiredService<CampaignStep>();
        var campaigns = app.Services.GetRequiredService<CampaignRepository>();
        var workers = Enumerable.Range(0, 4).Select(async _ =>
        {
            for (var i = 0; i < 200; i++)
            {
                var campaign = await campaigns.FindAsync(org.OrgId, campaignId, default);
                if (campaign!.State != CampaignStates.Running)
                {
                    return;
                }

                await step.RunAsync(org.OrgId, campaignId, default);
            }
        });
        await Task.WhenAll(workers);

        await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}", c => c.GetProperty("state").GetString() == "completed");
        var sent = (await app.SentSmsAsync()).EnumerateArray().Where(s => s.GetProperty("from").GetString() == sender).ToList();
        Assert.Equal(60, sent.Count);
        Assert.Equal(60, sent.Select(s => s.GetProperty("to").GetString()).Distinct().Count());
        Assert.All(sent, s => Assert.Equal(1, s.GetProperty("requests").GetInt32()));
    }

    [Fact]
    public async Task Pause_holds_dispatch_and_resume_finishes_the_campaign()
    {
        var (org, admin, sender) = await app.OrgWithSenderAsync();
        var zone = ZonesNow.Open();
        var csv = "phone,timezone,sms_consent\n" + string.Concat(Enumerable.Range(400, 30).Select(i => $"{Number(i)},{zone},1\n"));
        var listId = await CampaignApp.ListWithAsync(admin, csv);
        // One SMS per second per sender, so the pause lands mid-campaign.
        var campaignId = await CampaignApp.CampaignAsync(admin, listId, sender, new { pacingPerSenderPerMinute = 60 });
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();
        await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}", c => c.GetProperty("progress").GetProperty("byState").GetProperty("awaiting").GetInt32()
            + c.GetProperty("progress").GetProperty("byState").GetProperty("done").GetInt32() >= 2);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/campaigns/{campaignId}/pause", null)).StatusCode);
        // The workflow ran a step that saw the pause: a step in flight when it landed has sent what it had recorded.
        await Waits.UntilAsync(async () => (await app.Workflows.GetInstanceAsync(CampaignOrchestration.InstanceId(org.OrgId, campaignId), getInputsAndOutputs: true))
                ?.SerializedCustomStatus == "\"paused\"",
            "the campaign's workflow to see the pause");
        async Task<int> SentAsync() => (await app.SentSmsAsync()).EnumerateArray().Count(s => s.GetProperty("from").GetString() == sender);
        var before = await SentAsync();
        // A step run now (as the workflow would on its next wake) sends nothing either.
        Assert.Equal(StepOutcome.Stop(CampaignStates.Paused), await app.Services.GetRequiredService<CampaignStep>().RunAsync(org.OrgId, campaignId, default));
        var paused = JsonDocument.Parse(await admin.GetStringAsync($"/api/campaigns/{campaignId}")).RootElement.GetProperty("progress").GetProperty("byState");
        Assert.Equal(0, paused.GetProperty("dispatching").GetInt32()); // no intent left to send
        Assert.Equal(before, paused.GetProperty("awaiting").GetInt32() + paused.GetProperty("done").GetInt32());
        Assert.Equal(before, await SentAsync());
        Assert.True(before < 30);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/campaigns/{campaignId}/pause", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/campaigns/{campaignId}/resume", null)).StatusCode);
        var done = await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}", c => c.GetProperty("state").GetString() == "completed");
        Assert.Equal(30, done.GetProperty("progress").GetProperty("byState").GetProperty("done").GetInt32());
        Assert.Equal(30, (await app.SentSmsAsync()).EnumerateArray().Count(s => s.GetProperty("from").GetString() == sender));
    }

    [Fact]
    public async Task A_call_campaign_settles_each_attempt_from_the_call_events()
    {
        var (_, admin, sender) = await app.OrgWithSenderAsync();
        var zone = ZonesNow.Open();
        var csv = "phone,timezone,call_consent,sms_consent\n" + string.Concat(Enumerable.Range(600, 5).Select(i => $"{Number(i)},{zone},yes,no\n"));
        var listId = await CampaignApp.ListWithAsync(admin, csv);
        var created = await admin.PostAsJsonAsync("/api/campaigns", new { name = "Reminders", channel = "call", listId, senderNumbers = new[] { sender }, agentId = "agent-1" });
        var campaignId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        var done = await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}",
            c => c.GetProperty("progress").GetProperty("byOutcome").TryGetProperty("answered", out var a) && a.GetInt32() == 5);

        Assert.Equal(5, done.GetProperty("progress").GetProperty("byState").GetProperty("done").GetInt32());
        var calls = JsonDocument.Parse(await admin.GetStringAsync("/api/calls")).RootElement.EnumerateArray().Select(c => c.GetProperty("customerNumber").GetString()).Order();
        Assert.Equal(Enumerable.Range(600, 5).Select(Number), calls);
    }

    [Fact]
    public async Task Cancel_stops_a_campaign_for_good()
    {
        var (_, admin, sender) = await app.OrgWithSenderAsync();
        var listId = await CampaignApp.ListWithAsync(admin, $"phone,sms_consent,timezone\n{Number(500)},yes,{ZonesNow.Quiet()}\n");
        var campaignId = await CampaignApp.CampaignAsync(admin, listId, sender);
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/campaigns/{campaignId}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/campaigns/{campaignId}/resume", null)).StatusCode);
        var campaign = JsonDocument.Parse(await admin.GetStringAsync($"/api/campaigns/{campaignId}")).RootElement;
        Assert.Equal("cancelled", campaign.GetProperty("state").GetString());
    }
}
