using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;

namespace Hiroi.Benchmarks.Chaos;

/// <summary>
/// SMSReceived events through the webhook at a steady rate while a dependency goes away and comes back. Event Grid's
/// part is played here: a delivery not answered with a success within 30 s is delivered again until it is (after the
/// outage). Afterwards every event must be stored exactly once: one message row per event, read straight from storage.
/// </summary>
public sealed class WebhookUnderOutage(ServerProcess server, string storage, string orgId, string number)
{
    private static readonly TimeSpan EventGridTimeout = TimeSpan.FromSeconds(30);

    public async Task<ChaosResult> RunAsync(Outage outage, int perSecond, TimeSpan before, TimeSpan length, TimeSpan after)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = EventGridTimeout };
        http.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", server.WebhookSecret);
        var run = Guid.NewGuid().ToString("N")[..8];
        var attempts = new ConcurrentBag<Attempt>();
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        Task? ending = null;
        var sent = 0;
        // The load's own clock: every 20 ms, as many events as the rate owes by now.
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (await pace.WaitForNextTickAsync())
        {
            var now = clock.Elapsed;
            if (outage.Began is null && now >= before)
            {
                outage.Begin(clock);
            }

            if (ending is null && outage.Began is { } began && now >= began + length)
            {
                ending = outage.EndAsync(clock);
            }

            if (outage.Ended is { } ended && now >= ended + after)
            {
                break;
            }

            for (; sent < perSecond * now.TotalSeconds; sent++)
            {
                var id = $"Incoming_chaos_{run}_{sent}";
                inFlight.Add(DeliverAsync(http, id, clock, attempts));
            }
        }

        await ending!;
        await Task.WhenAll(inFlight);
        var ids = Enumerable.Range(0, sent).Select(i => $"Incoming_chaos_{run}_{i}").ToList();
        await RedeliverAsync(http, ids, clock, attempts);
        var stored = await StoredAsync(run);
        return Summarize($"webhook {perSecond}/s", outage, [.. attempts], ids, stored);
    }

    private readonly record struct Attempt(string Id, TimeSpan SentAt, TimeSpan Took, string Outcome)
    {
        public bool Accepted => Outcome.StartsWith('2');
    }

    private async Task DeliverAsync(HttpClient http, string id, Stopwatch clock, ConcurrentBag<Attempt> attempts)
    {
        var sentAt = clock.Elapsed;
        string outcome;
        try
        {
            using var response = await http.PostAsync("/api/eventgrid/acs", new StringContent(Body(id), Encoding.UTF8, "application/json"));
            outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (TaskCanceledException)
        {
            outcome = "timeout";
        }
        catch (HttpRequestException)
        {
            outcome = "network";
        }

        attempts.Add(new Attempt(id, sentAt, clock.Elapsed - sentAt, outcome));
    }

    /// <summary>Event Grid retries what was not accepted: here every refused event again, round after round, until each is taken.</summary>
    private async Task RedeliverAsync(HttpClient http, List<string> ids, Stopwatch clock, ConcurrentBag<Attempt> attempts)
    {
        for (var round = 0; round < 20; round++)
        {
            var accepted = attempts.Where(a => a.Accepted).Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
            var pending = ids.Where(id => !accepted.Contains(id)).ToList();
            if (pending.Count == 0)
            {
                return;
            }

            // Eight deliveries at a time, as a catching-up subscription would.
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) => await DeliverAsync(http, id, clock, attempts));
        }
    }

    private async Task<List<string>> StoredAsync(string run)
    {
        var table = new TableServiceClient(storage).GetTableClient("chaosMessages");
        var prefix = "msg_Incoming_chaos_" + run + "_";
        var keys = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == orgId, select: ["RowKey"]))
        {
            if (row.RowKey.StartsWith(prefix, StringComparison.Ordinal))
            {
                keys.Add(row.RowKey["msg_".Length..]);
            }
        }

        return keys;
    }

    private static ChaosResult Summarize(string load, Outage outage, List<Attempt> attempts, List<string> ids, List<string> stored)
    {
        var errors = attempts.Where(a => !a.Accepted).GroupBy(a => a.Outcome).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var during = attempts.Where(a => outage.During(a.SentAt)).ToList();
        var slowest = during.Count > 0 ? during.Max(a => a.Took) : TimeSpan.Zero;
        // Served again once no first delivery sent after the dependency came back was refused.
        var ended = outage.Ended!.Value;
        var firstTries = attempts.GroupBy(a => a.Id).Select(g => g.MinBy(a => a.SentAt)).ToList();
        var lastRefused = firstTries.Where(a => a.SentAt >= ended && !a.Accepted).Select(a => (TimeSpan?)a.SentAt).Max();
        var recovered = firstTries.Any(a => a.SentAt >= ended && a.Accepted) ? (lastRefused ?? ended) - ended : (TimeSpan?)null;
        var storedOnce = stored.ToHashSet(StringComparer.Ordinal);
        return new ChaosResult("webhook", load, $"{outage.Name} {(outage.Ended - outage.Began)!.Value.TotalSeconds:F0}s", errors, slowest, recovered,
            stored.Count - storedOnce.Count, ids.Count(id => !storedOnce.Contains(id)));
    }

    private string Body(string id) => JsonSerializer.Serialize(new[]
    {
        new
        {
            id, topic = "/chaos", subject = "/phonenumber/" + number.TrimStart('+'), eventType = "Microsoft.Communication.SMSReceived",
            dataVersion = "1.0", metadataVersion = "1", eventTime = DateTimeOffset.UtcNow,
            data = new { messageId = id, from = "+1555" + int.Parse(id[(id.LastIndexOf('_') + 1)..], CultureInfo.InvariantCulture).ToString("D7", CultureInfo.InvariantCulture),
                to = number, message = "Is my order on its way?", receivedTimestamp = DateTimeOffset.UtcNow },
        },
    });
}
