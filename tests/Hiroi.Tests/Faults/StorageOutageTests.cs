using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Hiroi.Tests.Faults;

/// <summary>
/// Storage unreachable under a running self-host, both ways it happens: hung (Azurite frozen: connections open, no answers)
/// and gone (Azurite stopped, then started again on the same data: stopped with SIGTERM, as a SIGKILLed Azurite loses
/// seconds of acknowledged table writes real storage keeps). The webhook refuses each delivery with 503 within the
/// storage bound (never 200 for an event it did not store, never 500), so Event Grid retries; once storage is back, the
/// redeliveries store every event exactly once. A campaign running across the outage finishes by itself.
/// </summary>
[Lane(Lanes.Fault)]
public sealed class StorageOutageTests(ITestOutputHelper output)
{
    /// <summary>
    /// The webhook's worst answer with storage hung: one storage call's bound (4 tries of 2 s, with 0.1, 0.2 and 0.4 s of
    /// back-off and jitter: under 9 s, README "When things fail") and a little for a busy machine; Event Grid waits 30 s.
    /// </summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private const int Accepted = 10;
    private const int Events = 50;

    [Fact]
    public Task A_frozen_storage_is_refused_with_503_within_the_bound_and_every_refused_event_is_stored_once_after() =>
        OutageAsync("frozen", outage =>
        {
            outage.Azurite.Freeze();
            return Task.CompletedTask;
        }, outage =>
        {
            outage.Azurite.Thaw();
            return Task.CompletedTask;
        });

    [Fact]
    public Task A_stopped_storage_is_refused_with_503_and_every_refused_event_is_stored_once_after_it_restarts() =>
        OutageAsync("stopped", outage => { outage.Azurite.Stop(); return Task.CompletedTask; }, outage => outage.Azurite.StartAsync());

    private async Task OutageAsync(string how, Func<StorageOutageHost, Task> fail, Func<StorageOutageHost, Task> restore)
    {
        using var outage = await StorageOutageHost.StartAsync();
        Assert.All(await Task.WhenAll(Enumerable.Range(0, Accepted).Select(outage.DeliverAsync)), d => Assert.Equal(HttpStatusCode.OK, d.Status));

        Delivery[] refused;
        (HttpStatusCode Status, TimeSpan Took) console;
        await fail(outage);
        try
        {
            // A burst: every delivery at once, as Event Grid fans out a backlog; and an authenticated console read.
            var burst = Task.WhenAll(Enumerable.Range(Accepted, Events - Accepted).Select(outage.DeliverAsync));
            console = await TimedAsync(() => outage.Admin.GetAsync("/api/conversations"));
            refused = await burst;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await outage.Anonymous.GetAsync("/readyz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await outage.Anonymous.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            await restore(outage);
        }

        var back = Stopwatch.GetTimestamp();
        var slowest = refused.Max(d => d.Took);
        output.WriteLine($"{how}: {refused.Length} deliveries answered {string.Join(", ", refused.GroupBy(d => (int)d.Status).Select(g => $"{g.Key} x{g.Count()}"))}, "
            + $"slowest {slowest.TotalSeconds:0.00} s; console read {(int)console.Status} in {console.Took.TotalSeconds:0.00} s");
        Assert.All(refused, d => Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (d.Status, d.ContentType)));
        Assert.True(slowest <= Bound, $"the slowest refusal took {slowest.TotalSeconds:0.0} s");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, console.Status);
        Assert.True(console.Took <= Bound, $"the console read took {console.Took.TotalSeconds:0.0} s");

        // Event Grid redelivers what was refused until it is accepted, and may deliver an accepted event again.
        await Task.WhenAll(Enumerable.Range(Accepted, Events - Accepted).Select(outage.RedeliverUntilAcceptedAsync));
        output.WriteLine($"{how}: every refused event accepted {Stopwatch.GetElapsedTime(back).TotalSeconds:0.0} s after storage returned");
        Assert.All(await Task.WhenAll(Enumerable.Range(0, Accepted).Select(outage.DeliverAsync)), d => Assert.Equal(HttpStatusCode.OK, d.Status));

        var stored = await outage.StoredTextsAsync();
        var expected = Enumerable.Range(0, Events).Select(outage.Text).ToList();
        output.WriteLine($"{how}: stored {stored.Count}, lost {expected.Except(stored).Count()}, duplicated {stored.Count - stored.Distinct().Count()}");
        Assert.Equal(expected.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal)); // each once: none lost, none twice
    }

    // Failed before ActivityReleasingOrchestrationService: DurableTask.AzureStorage kept the activities in flight when
    // storage stopped as running ("being processed multiple times concurrently" every visibility timeout), and the
    // campaign stalled until the process restarted.
    [Fact]
    public async Task A_campaign_running_across_a_storage_restart_finishes_by_itself_texting_each_eligible_contact_once()
    {
        const int Eligible = 40;
        using var outage = await StorageOutageHost.StartAsync();
        static string Number(int i) => "+1312555" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
        var zone = ZonesNow.Open();
        var csv = new StringBuilder("phone,timezone,sms_consent\n");
        for (var i = 0; i < Eligible + 2; i++)
        {
            csv.Append(Number(i)).Append(',').Append(zone).Append(",yes\n");
        }

        var listId = await CampaignApp.ListWithAsync(outage.Admin, csv.ToString());
        (await outage.Admin.PostAsJsonAsync("/api/dnc", new { number = Number(Eligible) })).EnsureSuccessStatusCode();
        (await outage.Admin.PostAsJsonAsync("/api/optouts", new { number = Number(Eligible + 1) })).EnsureSuccessStatusCode();
        // 240 a minute: the sends take about 10 s, so the outage lands mid-campaign.
        var campaignId = await CampaignApp.CampaignAsync(outage.Admin, listId, outage.OurNumber, new { pacingPerSenderPerMinute = 240, outcomeTimeoutSeconds = 10 });
        (await outage.Admin.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        async Task<List<string>> SentAsync() =>
            [.. JsonDocument.Parse(await outage.Admin.GetStringAsync("/simulate/sent-sms")).RootElement.EnumerateArray()
                .Where(s => s.GetProperty("from").GetString() == outage.OurNumber).Select(s => s.GetProperty("to").GetString()!)];
        var before = (await Waits.UntilAsync(SentAsync, sent => sent.Count >= 3, "the campaign's first sends")).Count;

        outage.Azurite.Stop();
        try
        {
            // The host has noticed: it is unready and refuses a delivery.
            await Waits.UntilAsync(async () => (await outage.Anonymous.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable, "the host to see the outage");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await outage.DeliverAsync(0)).Status);
        }
        finally
        {
            await outage.Azurite.StartAsync();
        }

        var back = Stopwatch.GetTimestamp();
        JsonElement done;
        try
        {
            done = await CampaignApp.WaitForAsync(outage.Admin, $"/api/campaigns/{campaignId}",
                c => c.GetProperty("state").GetString() == "completed", TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            output.WriteLine(outage.Host.LogTail);
            throw;
        }

        var sent = await SentAsync();
        output.WriteLine($"{before} sent before the outage; completed {Stopwatch.GetElapsedTime(back).TotalSeconds:0.0} s after storage returned: {done.GetProperty("progress")}");
        Assert.Equal(Enumerable.Range(0, Eligible).Select(Number), sent.Order(StringComparer.Ordinal)); // each eligible contact once
        var skipped = done.GetProperty("progress").GetProperty("skippedByReason");
        Assert.Equal((1, 1), (skipped.GetProperty("do-not-contact").GetInt32(), skipped.GetProperty("opted-out").GetInt32()));
    }

    private static async Task<(HttpStatusCode Status, TimeSpan Took)> TimedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await send();
        return (response.StatusCode, Stopwatch.GetElapsedTime(started));
    }
}
