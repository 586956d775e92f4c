using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;

namespace Hiroi.Benchmarks;

/// <summary>
/// Load run on loopback (scripts/bench-webhook.sh starts Azurite and the server): raw Azurite inserts of a message-sized
/// row, raw transactions of that row plus its conversation row (what an ordinary inbound SMS writes), then SMSReceived
/// events through the webhook (auth, number lookup, the message insert that deduplicates it, the conversation touch),
/// each for the same time and concurrency, in one run.
/// </summary>
public static class WebhookLoad
{
    public static async Task<int> RunAsync(string storage, Uri webhook, string secret, string ourNumber, int seconds, int concurrency)
    {
        var text = "Hi, I would like to move my appointment to Thursday afternoon if that works for you, thanks!";
        var table = new TableServiceClient(storage).GetTableClient("benchraw" + Environment.ProcessId);
        await table.CreateIfNotExistsAsync();
        var raw = await MeasureAsync(seconds, concurrency, (worker, i) => table.AddEntityAsync(MessageRow(worker, i, text)));
        var rawPairs = await MeasureAsync(seconds, concurrency, (worker, i) => table.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.Add, MessageRow(worker, i, text, "pair")),
                new TableTransactionAction(TableTransactionActionType.UpsertMerge, ConversationRow(worker, i)),
            ]));
        var events = await WebhookEventsAsync(webhook, secret, ourNumber, text, seconds, concurrency);
        Console.WriteLine($"raw Azurite inserts          : {raw,8:F0} rows/s");
        Console.WriteLine($"raw message+conversation txn : {rawPairs,8:F0} txns/s");
        Console.WriteLine($"webhook events               : {events,8:F0} events/s");
        Console.WriteLine($"ratio to raw inserts         : {events / raw:P0}");
        Console.WriteLine($"ratio to raw transactions    : {events / rawPairs:P0}");
        return 0;
    }

    private static string Org(int worker) => "org_" + worker.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);

    private static TableEntity MessageRow(int worker, int i, string text, string run = "single") => new(Org(worker), $"msg_{run}_{worker}_{i}")
    {
        ["ConversationId"] = "conv_0123456789abcdef0123", ["Direction"] = "inbound", ["CustomerNumber"] = "+15550001111",
        ["OurNumber"] = "+15550002222", ["Text"] = text, ["At"] = DateTimeOffset.UtcNow,
    };

    private static TableEntity ConversationRow(int worker, int i) => new(Org(worker), $"conv_{worker}_{i}")
    {
        ["CustomerNumber"] = "+15550001111", ["OurNumber"] = "+15550002222", ["LastMessageAt"] = DateTimeOffset.UtcNow, ["AwaitingAgent"] = true,
    };

    private static async Task<double> WebhookEventsAsync(Uri webhook, string secret, string ourNumber, string text, int seconds, int concurrency)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", secret);
        return await MeasureAsync(seconds, concurrency, async (worker, i) =>
        {
            var id = $"Incoming_bench_{Environment.ProcessId}_{worker}_{i}";
            var body = JsonSerializer.Serialize(new[]
            {
                new
                {
                    id, topic = "/bench", subject = "/phonenumber/" + ourNumber.TrimStart('+'), eventType = "Microsoft.Communication.SMSReceived",
                    dataVersion = "1.0", metadataVersion = "1", eventTime = DateTimeOffset.UtcNow,
                    data = new { messageId = id, from = $"+1555{worker:D3}{i % 10000:D4}", to = ourNumber, message = text, receivedTimestamp = DateTimeOffset.UtcNow },
                },
            });
            using var response = await http.PostAsync(webhook, new StringContent(body, Encoding.UTF8, "application/json"));
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"webhook answered {(int)response.StatusCode}");
            }
        });
    }

    private static async Task<double> MeasureAsync(int seconds, int concurrency, Func<int, int, Task> operation)
    {
        // Warm up connections and JIT, then count completed operations in the measured window.
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => operation(w + 1000, 0)));
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var counts = new int[concurrency];
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            for (var i = 1; clock.Elapsed < deadline; i++)
            {
                await operation(w, i);
                counts[w]++;
            }
        }));
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }
}
