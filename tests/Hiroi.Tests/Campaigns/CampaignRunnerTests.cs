using Hiroi.Durable.Campaigns;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Campaigns;

/// <summary>The self-host without its background runner, so a test drives the runner one round at a time.</summary>
public sealed class ManualRunnerApp : HiroiApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:CampaignRunner:Enabled", "false");
        builder.UseSetting("Hiroi:CampaignRunner:VisibilitySeconds", "2");
        builder.UseSetting("Hiroi:CampaignRunner:MaxDequeueCount", "2");
    }
}

public class CampaignRunnerTests(ManualRunnerApp app) : IClassFixture<ManualRunnerApp>
{
    private async Task<int> PoisonCountAsync() =>
        (await (await app.Services.GetRequiredService<HiroiQueues>().GetAsync(CampaignStepMessages.Poison)).PeekMessagesAsync(32)).Value.Length;

    /// <summary>A running campaign over <paramref name="listId"/> whose current step token is <c>t1</c>.</summary>
    private async Task<CampaignEntity> RunningCampaignAsync(OrgId org, string listId)
    {
        var campaign = new CampaignEntity
        {
            RowKey = CampaignEntity.NewId(), Name = "test", ListId = listId, SenderNumbers = "+15550000001", State = CampaignStates.Running,
            StepToken = "t1", CreatedAt = DateTimeOffset.UtcNow, StartedAt = DateTimeOffset.UtcNow,
        };
        await app.Services.GetRequiredService<CampaignRepository>().AddAsync(org, campaign, default);
        return campaign;
    }

    private async Task DrainAsync(TimeSpan until)
    {
        var runner = app.Services.GetRequiredService<CampaignRunner>();
        var deadline = DateTime.UtcNow + until;
        while (DateTime.UtcNow < deadline)
        {
            await runner.RunOnceAsync(default);
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_step_that_keeps_failing_goes_to_the_poison_queue_and_fails_its_campaign()
    {
        var org = await app.CreateOrgAsync();
        var campaigns = app.Services.GetRequiredService<CampaignRepository>();
        var campaign = await RunningCampaignAsync(org.OrgId, "lst_0000000000000000");
        // A contact row no step can enroll: its number is not a valid row key, so every try throws.
        await app.Services.GetRequiredService<ContactRepository>().AddAsync(org.OrgId,
            new ContactEntity { RowKey = ContactEntity.Key(campaign.ListId, "corrupt"), Number = "+1#555/0100", SmsConsent = true }, default);
        var poisonBefore = await PoisonCountAsync();
        await app.Services.GetRequiredService<CampaignStepMessages>().ScheduleAsync(org.OrgId, campaign.RowKey, "t1", TimeSpan.Zero, default);

        await DrainAsync(TimeSpan.FromSeconds(8));

        var failed = await campaigns.FindAsync(org.OrgId, campaign.RowKey, default);
        Assert.Equal(CampaignStates.Failed, failed!.State);
        Assert.Contains("failed 2 times", failed.FailureReason, StringComparison.Ordinal);
        Assert.Equal(poisonBefore + 1, await PoisonCountAsync());
    }

    [Fact]
    public async Task A_chain_lost_between_checkpoint_and_scheduling_is_taken_over_by_the_last_message()
    {
        var org = await app.CreateOrgAsync();
        var campaigns = app.Services.GetRequiredService<CampaignRepository>();
        var campaign = await RunningCampaignAsync(org.OrgId, "lst_1111111111111111");

        // A driver runs the t1 step, checkpoints (handing over to t2) and dies before scheduling t2; its own message comes back.
        await app.Services.GetRequiredService<CampaignStep>().RunAsync(new StepRequest(org.OrgId, campaign.RowKey, "t1", "t2", TimeSpan.FromSeconds(4)), default);
        var messages = app.Services.GetRequiredService<CampaignStepMessages>();
        await messages.ScheduleAsync(org.OrgId, campaign.RowKey, "t1", TimeSpan.Zero, default);
        await messages.ScheduleAsync(org.OrgId, campaign.RowKey, "t0", TimeSpan.Zero, default); // an older chain's message: dropped

        await DrainAsync(TimeSpan.FromSeconds(9));

        var finished = await campaigns.FindAsync(org.OrgId, campaign.RowKey, default);
        Assert.Equal(CampaignStates.Completed, finished!.State); // the empty list enrolled, and nothing was due
    }

    [Fact]
    public async Task An_unreadable_message_goes_to_the_poison_queue()
    {
        var steps = await app.Services.GetRequiredService<HiroiQueues>().GetAsync(CampaignStepMessages.Steps);
        var poisonBefore = await PoisonCountAsync();
        await steps.SendMessageAsync("{\"org\":\"not-an-org\"}");

        await DrainAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(poisonBefore + 1, await PoisonCountAsync());
    }
}
