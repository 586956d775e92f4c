using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Durable.Retention;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Hiroi.Tests.Functions;

/// <summary>The Functions app's own functions, called as the Functions host calls them (see <see cref="FunctionsApp"/>).</summary>
public class FunctionAdapterTests(FunctionsFixture functions) : IClassFixture<FunctionsFixture>
{
    private FunctionsApp App => functions.App;

    private static async Task<string> CreateAsync(HttpClient client, string path, object body) =>
        JsonDocument.Parse(await (await client.PostAsJsonAsync(path, body)).EnsureSuccessStatusCode().Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

    /// <summary>A new org owning <paramref name="sender"/>, with a list of <paramref name="numbers"/> in a zone inside its calling hours.</summary>
    private async Task<(CreatedOrganization Org, HttpClient Owner, string ListId)> OrgWithListAsync(string sender, params string[] numbers)
    {
        var org = await App.CreateOrgAsync();
        var owner = App.ClientWithKey(org.OwnerApiKey);
        (await owner.PostAsJsonAsync("/api/numbers", new { number = sender })).EnsureSuccessStatusCode();
        var listId = await CreateAsync(owner, "/api/lists", new { name = "Contacts" });
        var zone = ZonesNow.Open();
        var csv = "phone,timezone,sms_consent\n" + string.Concat(numbers.Select(n => $"{n},{zone},yes\n"));
        (await owner.PostAsync($"/api/lists/{listId}/contacts", new StringContent(csv, Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        return (org, owner, listId);
    }

    [Fact]
    public async Task A_valid_key_gets_200_no_key_401_and_another_orgs_id_404()
    {
        var ours = App.ClientWithKey((await App.CreateOrgAsync()).OwnerApiKey);
        var theirs = App.ClientWithKey((await App.CreateOrgAsync("Other")).OwnerApiKey);
        var theirList = await CreateAsync(theirs, "/api/lists", new { name = "Theirs" });

        Assert.Equal(HttpStatusCode.OK, (await ours.GetAsync("/api/orgs/current")).StatusCode);
        await ProblemAssert.IsProblemAsync(await App.CreateClient().GetAsync("/api/orgs/current"), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await ours.GetAsync($"/api/lists/{theirList}/contacts"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await theirs.GetAsync($"/api/lists/{theirList}/contacts")).StatusCode);
    }

    [Fact]
    public async Task The_webhook_function_answers_both_handshakes()
    {
        var webhook = App.CreateClient();
        webhook.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", FunctionsFixture.WebhookSecret);
        using var validation = new HttpRequestMessage(HttpMethod.Post, "/api/eventgrid/acs") { Content = TelephonyApp.Json(AcsEvents.ValidationEvent("fn-code-42")) };
        validation.Headers.Add("aeg-event-type", "SubscriptionValidation");
        var validated = await webhook.SendAsync(validation);
        Assert.True(validated.StatusCode == HttpStatusCode.OK, await validated.Content.ReadAsStringAsync());
        Assert.Equal("fn-code-42", JsonDocument.Parse(await validated.Content.ReadAsStringAsync()).RootElement.GetProperty("validationResponse").GetString());

        using var options = new HttpRequestMessage(HttpMethod.Options, "/api/eventgrid/acs");
        options.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        var allowed = await webhook.SendAsync(options);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("eventgrid.azure.net", allowed.Headers.GetValues("WebHook-Allowed-Origin").Single());

        using var unauthenticated = new HttpRequestMessage(HttpMethod.Options, "/api/eventgrid/acs");
        unauthenticated.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        Assert.Equal(HttpStatusCode.Unauthorized, (await App.CreateClient().SendAsync(unauthenticated)).StatusCode);
    }

    /// <summary>
    /// Fires the retention timer and returns the id of the day's run it started. The day is the host's clock's, so a
    /// firing that straddled midnight UTC is made again on the new day rather than looked for under the old one.
    /// </summary>
    private async Task<string> FireRetentionTimerAsync()
    {
        while (true)
        {
            var id = RetentionOrchestration.InstanceId(DateTimeOffset.UtcNow);
            await App.InvokeAsync("RetentionTimer", new TimerInfo(), App.Workflows, CancellationToken.None);
            if (RetentionOrchestration.InstanceId(DateTimeOffset.UtcNow) == id)
            {
                return id;
            }
        }
    }

    [Fact]
    public async Task The_timer_fired_twice_on_the_same_day_schedules_one_sweep()
    {
        var id = await FireRetentionTimerAsync();
        using var timeout = new CancellationTokenSource(Waits.Ceiling);
        var first = await App.Workflows.WaitForInstanceCompletionAsync(id, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, first.RuntimeStatus);

        await App.InvokeAsync("RetentionTimer", new TimerInfo { IsPastDue = true }, App.Workflows, CancellationToken.None);

        var runs = await App.Workflows.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "retention-" }).ToListAsync();
        var run = Assert.Single(runs, r => r.InstanceId == id);
        Assert.Equal(first.CreatedAt, run.CreatedAt);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
    }

    [Fact]
    public async Task Starting_a_days_sweep_purges_the_history_of_workflows_finished_before_the_history_period()
    {
        var today = await FireRetentionTimerAsync();
        using var timeout = new CancellationTokenSource(Waits.Ceiling);
        await App.Workflows.WaitForInstanceCompletionAsync(today, timeout.Token);

        // A tick 31 days on (the period is 30): that day's sweep starts, and today's finished run is purged.
        var later = DateTimeOffset.UtcNow.AddDays(31);
        using (Hiroi.Functions.Hosting.InvocationDurableClient.Bind(App.Workflows))
        {
            await App.Services.GetRequiredService<Hiroi.Durable.Workflows.WorkflowStarter>().TickAsync(later, CancellationToken.None);
        }

        Assert.Null(await App.Workflows.GetInstanceAsync(today));
        Assert.NotNull(await App.Workflows.GetInstanceAsync(RetentionOrchestration.InstanceId(later)));
    }

    [Fact]
    public async Task A_campaign_started_through_its_function_runs_on_the_functions_orchestrator_and_texts_each_contact_once()
    {
        const string Sender = "+15550601001";
        var (_, owner, listId) = await OrgWithListAsync(Sender, "+12125550701", "+12125550702");
        var campaignId = await CampaignApp.CampaignAsync(owner, listId, Sender, new { outcomeTimeoutSeconds = 10 });

        (await owner.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        var done = await CampaignApp.WaitForAsync(owner, $"/api/campaigns/{campaignId}", c => c.GetProperty("state").GetString() == "completed");
        Assert.Equal(2, done.GetProperty("progress").GetProperty("byState").GetProperty("done").GetInt32());
        var sentTo = functions.Acs.Invocations.Where(i => i.Method.Name == "SendSmsAsync").Select(i => ((Hiroi.Shared.Acs.SmsRequest)i.Arguments[0]!).To).ToList();
        Assert.Equal(1, sentTo.Count(t => t == "+12125550701"));
        Assert.Equal(1, sentTo.Count(t => t == "+12125550702"));
    }

    [Fact]
    public async Task The_watchdog_restarts_a_running_campaign_whose_workflow_was_lost_and_leaves_a_deferred_one_alone()
    {
        const string Sender = "+15550601002";
        var (org, owner, listId) = await OrgWithListAsync(Sender, "+12125550711");
        var lost = await CampaignApp.CampaignAsync(owner, listId, Sender, new { outcomeTimeoutSeconds = 10 });
        var deferred = await CampaignApp.CampaignAsync(owner, listId, Sender, new { outcomeTimeoutSeconds = 10 });
        // Both marked running 20 minutes ago with no workflow (a start lost between the row and the engine); one is
        // deferred past now, as a campaign waiting for its calling window is.
        var campaigns = App.Services.GetRequiredService<Hiroi.Shared.Campaigns.CampaignRepository>();
        var ago = DateTimeOffset.UtcNow.AddMinutes(-20);
        foreach (var (id, nextAt) in new[] { (lost, (DateTimeOffset?)null), (deferred, DateTimeOffset.UtcNow.AddHours(1)) })
        {
            var row = (await campaigns.FindAsync(org.OrgId, id, CancellationToken.None))!;
            (row.State, row.StartedAt, row.NextEligibleAt) = (Hiroi.Shared.Campaigns.CampaignStates.Running, ago, nextAt);
            Assert.True(await campaigns.UpdateAsync(org.OrgId, row, CancellationToken.None));
        }

        await App.InvokeAsync("WorkflowWatchdog", new TimerInfo(), App.Workflows, CancellationToken.None);

        var done = await CampaignApp.WaitForAsync(owner, $"/api/campaigns/{lost}", c => c.GetProperty("state").GetString() == "completed");
        Assert.Equal(1, done.GetProperty("progress").GetProperty("byState").GetProperty("done").GetInt32());
        Assert.Null(await App.Workflows.GetInstanceAsync(Hiroi.Durable.Campaigns.CampaignOrchestration.InstanceId(org.OrgId, deferred)));
        Assert.Equal("running", JsonDocument.Parse(await owner.GetStringAsync($"/api/campaigns/{deferred}")).RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_pause_landing_while_a_step_sends_keeps_the_pause_and_the_steps_progress()
    {
        const string Sender = "+15550601003";
        const string Held = "+12125550721";
        var (org, owner, listId) = await OrgWithListAsync(Sender, Held);
        var campaignId = await CampaignApp.CampaignAsync(owner, listId, Sender, new { outcomeTimeoutSeconds = 600 });
        // The send to this number waits until the test lets it go, so the pause lands while the step is sending.
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        functions.Acs.Setup(a => a.SendSmsAsync(It.Is<Hiroi.Shared.Acs.SmsRequest>(r => r.To == Held), It.IsAny<CancellationToken>()))
            .Returns(async () =>
            {
                sending.TrySetResult();
                await release.Task;
                return new Hiroi.Shared.Acs.SmsSendResult("Outgoing_held", true, 202, null);
            });

        (await owner.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();
        await sending.Task.WaitAsync(Waits.Ceiling);
        Assert.Equal(HttpStatusCode.OK, (await owner.PostAsync($"/api/campaigns/{campaignId}/pause", null)).StatusCode);
        release.SetResult();

        var campaigns = App.Services.GetRequiredService<Hiroi.Shared.Campaigns.CampaignRepository>();
        var row = await Waits.UntilAsync(async () => (await campaigns.FindAsync(org.OrgId, campaignId, CancellationToken.None))!, r => r.DispatchedToday > 0,
            "the step's checkpoint to land on the paused row");

        // The command's state stands; the step's checkpoint (the day's count, the sender's pacing) was merged onto it.
        Assert.Equal(Hiroi.Shared.Campaigns.CampaignStates.Paused, row.State);
        Assert.Equal(1, row.DispatchedToday);
        Assert.NotNull(row.LastStepAt);
        var contact = JsonDocument.Parse(await owner.GetStringAsync($"/api/campaigns/{campaignId}/contacts")).RootElement.EnumerateArray().Single();
        Assert.Equal("awaiting", contact.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Deleting_an_org_through_its_function_purges_it_on_the_functions_orchestrator()
    {
        var org = await App.CreateOrgAsync("Doomed");
        var owner = App.ClientWithKey(org.OwnerApiKey);
        await CreateAsync(owner, "/api/lists", new { name = "To go" });

        Assert.Equal(HttpStatusCode.Accepted, (await owner.PostAsJsonAsync("/api/orgs/current/deletion", new { confirmName = "Doomed" })).StatusCode);

        using var timeout = new CancellationTokenSource(Waits.Ceiling);
        var purge = await App.Workflows.WaitForInstanceCompletionAsync(OrgPurgeOrchestration.InstanceId(org.OrgId), getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, purge.RuntimeStatus);
        Assert.Equal("\"purged\"", purge.SerializedOutput);
        Assert.Empty(await StorageScan.FindAsync(TestStorage.ConnectionString, App.Prefix + "ContactLists", org.OrgId.Value));
    }
}
