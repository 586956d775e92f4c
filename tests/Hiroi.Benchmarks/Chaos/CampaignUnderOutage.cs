using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Benchmarks.Chaos;

/// <summary>
/// An SMS campaign to recipients where it is day now, with a dependency taken away once a tenth of them were texted
/// and given back after a while (or none, when the faults are ACS's own: the simulator's fault mode). The campaign
/// must finish by itself, with every contact texted exactly once: the simulator's own record (kept in storage, so it
/// survives the outage) counts the texts per recipient.
/// </summary>
public sealed class CampaignUnderOutage(ServerProcess server, string apiKey)
{
    public async Task<ChaosResult> RunAsync(Outage? outage, int contacts, TimeSpan length)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var run = Interlocked.Increment(ref _runs);
        var senders = new[] { $"+1555070{run:D2}01", $"+1555070{run:D2}02" };
        foreach (var sender in senders)
        {
            (await http.PostAsJsonAsync("/api/numbers", new { number = sender })).EnsureSuccessStatusCode();
        }

        var recipients = Enumerable.Range(0, contacts).Select(i => $"+1312{run + 2}{i:D6}").ToList();
        var zone = ZonesNow.Open();
        var csv = new StringBuilder("phone,timezone,sms_consent\n");
        recipients.ForEach(r => csv.Append(r).Append(',').Append(zone).Append(",yes\n"));
        var list = await IdOfAsync(await http.PostAsJsonAsync("/api/lists", new { name = "Chaos" }));
        (await http.PostAsync($"/api/lists/{list}/contacts", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        // Paced so the campaign outlasts the outage: a tenth before it, the rest after.
        var perMinute = Math.Clamp(contacts * 60 / 20 / senders.Length, 120, 600); // 600 a minute is the most a sender may be paced at
        var campaign = await IdOfAsync(await http.PostAsJsonAsync("/api/campaigns", new
        {
            name = "Chaos", channel = "sms", listId = list, senderNumbers = senders, message = "Your order ships today. Reply STOP to opt out.",
            pacingPerSenderPerMinute = perMinute, outcomeTimeoutSeconds = 10,
        }));
        (await http.PostAsync($"/api/campaigns/{campaign}/start", null)).EnsureSuccessStatusCode();

        var clock = Stopwatch.StartNew();
        TimeSpan? recovery = TimeSpan.Zero;
        if (outage is not null)
        {
            var before = await Waits.UntilAsync(() => SentAsync(http, senders), s => s.Count >= contacts / 10, "a tenth of the campaign to be sent", TimeSpan.FromMinutes(5));
            outage.Begin(clock);
            using (var hold = new PeriodicTimer(length))
            {
                await hold.WaitForNextTickAsync(); // the outage's length: the run's own clock
            }

            await outage.EndAsync(clock);
            var ended = clock.Elapsed;
            // The record as storage first reads again, then the first send after that: the campaign going on by itself.
            var atReturn = await Waits.UntilAsync(() => SentAsync(http, senders), s => s.Count >= before.Count, "the simulator's record to read again");
            await Waits.UntilAsync(() => SentAsync(http, senders), s => s.Count > atReturn.Count, "a send after the outage", TimeSpan.FromMinutes(5));
            recovery = clock.Elapsed - ended;
        }

        var state = await Waits.UntilAsync(async () => JsonDocument.Parse(await http.GetStringAsync($"/api/campaigns/{campaign}")).RootElement.Clone(),
            c => c.GetProperty("state").GetString() is "completed" or "failed", "the campaign to finish", TimeSpan.FromMinutes(10));
        var sent = await SentAsync(http, senders);
        var perRecipient = sent.GroupBy(s => s.GetProperty("to").GetString()!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        // With no outage of ours, the errors are ACS's: what the simulator answered the faulted sends.
        var errors = outage is null ? await AcsFaultsAsync(http) : [];
        if (state.GetProperty("state").GetString() != "completed")
        {
            errors["campaign failed"] = 1;
        }

        var what = outage is null ? "ACS faults" : string.Create(CultureInfo.InvariantCulture, $"{outage.Name} {length.TotalSeconds:F0}s");
        return new ChaosResult("campaign", $"{contacts} contacts", what, errors, TimeSpan.Zero, recovery,
            perRecipient.Values.Sum(n => n - 1), recipients.Count(r => !perRecipient.ContainsKey(r)));
    }

    private static async Task<Dictionary<string, int>> AcsFaultsAsync(HttpClient http)
    {
        var log = JsonDocument.Parse(await http.GetStringAsync("/simulate/faults/sms")).RootElement;
        return log.EnumerateObject().SelectMany(send => send.Value.EnumerateArray().Select(r => r.GetProperty("answer").GetString()!))
            .Where(answer => answer != "ok").GroupBy(a => "ACS " + a).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    private static int _runs;

    private static async Task<List<JsonElement>> SentAsync(HttpClient http, string[] senders)
    {
        try
        {
            var all = JsonDocument.Parse(await http.GetStringAsync("/simulate/sent-sms")).RootElement;
            return [.. all.EnumerateArray().Where(s => senders.Contains(s.GetProperty("from").GetString())).Select(s => s.Clone())];
        }
        catch (HttpRequestException)
        {
            return []; // storage is still coming back: the simulator's record cannot be read yet
        }
    }

    private static async Task<string> IdOfAsync(HttpResponseMessage created)
    {
        created.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }
}
