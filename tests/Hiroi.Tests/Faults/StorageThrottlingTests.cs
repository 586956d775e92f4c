using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Telephony;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Faults;

/// <summary>
/// Storage throttles (503 ServerBusy on every fifth call): the clients' retries absorb it, so a campaign and a retention
/// sweep end with the same totals as without it: each eligible contact texted once, each expired row deleted and audited.
/// </summary>
public sealed class StorageThrottlingTests(StorageThrottlingTests.ThrottledApp app) : IClassFixture<StorageThrottlingTests.ThrottledApp>
{
    public sealed class ThrottledApp : CampaignApp
    {
        public ServerBusyEveryNth Throttle { get; } = new(5);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton(Throttle.Hook));
        }
    }

    private static string Number(int i) => "+1212556" + i.ToString("D4", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_campaign_under_throttled_storage_texts_each_eligible_contact_exactly_once()
    {
        const int Eligible = 40;
        var (_, admin, sender) = await app.OrgWithSenderAsync();
        var zone = ZonesNow.Open();
        var csv = new StringBuilder("phone,timezone,sms_consent\n");
        for (var i = 0; i < Eligible + 2; i++)
        {
            csv.Append(Number(i)).Append(',').Append(zone).Append(",yes\n");
        }

        var listId = await CampaignApp.ListWithAsync(admin, csv.ToString());
        (await admin.PostAsJsonAsync("/api/dnc", new { number = Number(Eligible) })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/optouts", new { number = Number(Eligible + 1) })).EnsureSuccessStatusCode();
        var refusedBefore = app.Throttle.Refused;
        var campaignId = await CampaignApp.CampaignAsync(admin, listId, sender, new { outcomeTimeoutSeconds = 10 });
        (await admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        var done = await CampaignApp.WaitForAsync(admin, $"/api/campaigns/{campaignId}", c => c.GetProperty("state").GetString() == "completed");

        Assert.True(app.Throttle.Refused - refusedBefore > Eligible, $"only {app.Throttle.Refused - refusedBefore} storage calls were throttled");
        var sent = (await app.SentSmsAsync()).EnumerateArray().Where(s => s.GetProperty("from").GetString() == sender).ToList();
        Assert.Equal(Enumerable.Range(0, Eligible).Select(Number), sent.Select(s => s.GetProperty("to").GetString()).Order(StringComparer.Ordinal));
        Assert.All(sent, s => Assert.Equal(1, s.GetProperty("requests").GetInt32())); // never sent twice, not even to ACS
        var progress = done.GetProperty("progress");
        Assert.Equal(Eligible, progress.GetProperty("byState").GetProperty("done").GetInt32());
        var skipped = progress.GetProperty("skippedByReason");
        Assert.Equal((1, 1), (skipped.GetProperty("do-not-contact").GetInt32(), skipped.GetProperty("opted-out").GetInt32()));
    }

    [Fact]
    public async Task A_retention_sweep_under_throttled_storage_deletes_and_audits_every_expired_row_and_nothing_else()
    {
        const int Old = 150, Young = 20;
        var org = (await app.CreateOrgAsync()).OrgId;
        var messages = app.Services.GetRequiredService<MessageRepository>();
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        for (var i = 0; i < Old + Young; i++)
        {
            var id = $"{i:D4}{Guid.NewGuid():N}";
            var at = i < Old ? now.AddDays(-91) : now.AddDays(-89); // the default period is 90 days
            await messages.RecordOutboundAsync(org,
                new MessageEntity { RowKey = MessageEntity.Key(id), CustomerNumber = "+12125550150", Text = "hi", At = at },
                new ConversationEntity { RowKey = "conv_" + id[..20], CustomerNumber = "+12125550150", OurNumber = "+15550000001", LastMessageAt = at }, default);
        }

        var refusedBefore = app.Throttle.Refused;
        await app.Services.SweepAsync();

        Assert.True(app.Throttle.Refused - refusedBefore > 10, $"only {app.Throttle.Refused - refusedBefore} storage calls were throttled");
        var left = await messages.ListAsync(org, default).ToListAsync();
        Assert.Equal(Young, left.Count); // every expired row gone, nothing early
        Assert.All(left, m => Assert.True(m.At > now.AddDays(-90)));
        var (entries, _) = await app.Services.GetRequiredService<AuditTrail>().QueryAsync(org, new AuditQuery(null, null, null, AuditActions.RetentionDeleted), 100, null, default);
        int Deleted(string kind) => entries.Where(e => e.Target == kind)
            .Sum(e => int.Parse(e.Detail!.Split(' ')[0]["deleted=".Length..], CultureInfo.InvariantCulture));
        Assert.Equal((Old, Old), (Deleted("messages"), Deleted("conversations"))); // each deletion audited once
    }
}
