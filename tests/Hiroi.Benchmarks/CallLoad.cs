using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hiroi.Benchmarks;

/// <summary>
/// Scripted callers against a running self-host with the ACS simulator: at each concurrency, callers dial the agent's
/// number, wait for it to listen, say a line, and so on for a few turns, then hang up. What it reports is measured by
/// the simulator where ACS would see it: IncomingCall to the platform's answer, and a caller's words (RecognizeCompleted)
/// to the agent's next prompt (the local model, so this is the platform's own overhead).
/// </summary>
public static class CallLoad
{
    public static async Task<int> RunAsync(Uri server, string number, int[] concurrencies, int callsPerCaller, int turns)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        Console.WriteLine("concurrency  calls  answer p50/p99 ms  reply p50/p99 ms  turns/s  failures");
        var failedCalls = 0;
        foreach (var concurrency in concurrencies)
        {
            await http.GetAsync("/simulate/latencies?reset=true");
            var failures = 0;
            var clock = Stopwatch.StartNew();
            var replies = 0;
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async caller =>
            {
                for (var c = 0; c < callsPerCaller; c++)
                {
                    try
                    {
                        Interlocked.Add(ref replies, await CallAsync(http, number, $"+1555{caller:D3}{c:D4}", turns));
                    }
                    catch (Exception e) when (e is HttpRequestException or TimeoutException or InvalidOperationException)
                    {
                        Interlocked.Increment(ref failures);
                        Console.Error.WriteLine(e.Message);
                    }
                }
            }));
            var seconds = clock.Elapsed.TotalSeconds;
            var measured = await http.GetFromJsonAsync<Dictionary<string, double[]>>("/simulate/latencies?reset=true") ?? [];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{concurrency,11}  {concurrency * callsPerCaller,5}  {Percentiles(measured, "answer"),17}  {Percentiles(measured, "reply"),16}"
                + $"  {replies / seconds,7:F1}  {failures,8}"));
            failedCalls += failures;
        }

        // A failed call fails the run, so its smoke form in the suite notices a broken conversation.
        Console.WriteLine($"failed calls    : {failedCalls}");
        return failedCalls == 0 ? 0 : 1;
    }

    /// <summary>One call: greeting, <paramref name="turns"/> exchanges, hang up; the number of replies heard.</summary>
    private static async Task<int> CallAsync(HttpClient http, string number, string from, int turns)
    {
        var dialled = await http.PostAsJsonAsync("/simulate/incoming-call", new { from, to = number });
        dialled.EnsureSuccessStatusCode();
        var call = JsonDocument.Parse(await dialled.Content.ReadAsStringAsync()).RootElement.GetProperty("call").GetString();
        var heard = await ListeningAsync(http, call!, 1);
        for (var t = 0; t < turns; t++)
        {
            (await http.PostAsJsonAsync($"/simulate/calls/{call}/say", new { text = $"Question {t}: are you open today?" })).EnsureSuccessStatusCode();
            heard = await ListeningAsync(http, call!, heard + 1);
        }

        (await http.PostAsJsonAsync($"/simulate/calls/{call}/hangup", new { })).EnsureSuccessStatusCode();
        return turns;
    }

    private static async Task<int> ListeningAsync(HttpClient http, string call, int atLeast)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        var seen = "nothing";
        while (DateTime.UtcNow < until)
        {
            // The simulator answers when the agent listens (a long poll), so callers add no polling load to the run.
            var view = JsonDocument.Parse(await http.GetStringAsync($"/simulate/calls/{call}?listeningAfter={atLeast}")).RootElement;
            var heard = view.TryGetProperty("heard", out var lines) ? lines.GetArrayLength() : 0;
            var listens = view.TryGetProperty("listening", out var listening) && listening.GetBoolean();
            if (listens && heard >= atLeast)
            {
                return heard;
            }

            seen = $"state {view.GetProperty("state")}, listening {listens}, {heard} lines heard";
        }

        throw new TimeoutException($"The agent did not listen within 60 s after {atLeast - 1} lines ({call}: {seen}).");
    }

    private static string Percentiles(Dictionary<string, double[]> measured, string kind)
    {
        if (!measured.TryGetValue(kind, out var values) || values.Length == 0)
        {
            return "-";
        }

        Array.Sort(values);
        double At(double p) => values[Math.Min(values.Length - 1, (int)Math.Ceiling(p * values.Length) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"{At(0.5):F1}/{At(0.99):F1}");
    }
}
