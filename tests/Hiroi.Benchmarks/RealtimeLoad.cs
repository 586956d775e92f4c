using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hiroi.Benchmarks;

/// <summary>
/// Load run on loopback (scripts/bench-realtime.sh starts Azurite and the self-host with the ACS simulator and the local
/// realtime model): at each level, that many streamed calls at once, each caller speaking 600 ms every 2.5 s over the
/// 50 frames/s stream, and every fourth turn cutting in on the agent's answer. Reports voice-to-voice latency (the simulator's time from an utterance's last voiced frame to the
/// agent's first frame after it: the platform's overhead, the local model taking no time), frames dropped (the
/// platform's queues, from each call's record) and sent late by the simulated ACS (its 20 ms clock fell behind), and the
/// server process's CPU and memory per call (ACS's end of each socket runs in the same process).
/// </summary>
public static class RealtimeLoad
{
    private const int UtteranceMs = 600;
    private const int InterruptionMs = 300;
    // How long after an utterance's start a caller cuts in (every fourth turn): the agent is answering by then.
    private static readonly TimeSpan CutInAfter = TimeSpan.FromMilliseconds(UtteranceMs + 400);
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(2500);
    private static int _callers;

    public static async Task<int> RunAsync(Uri server, string apiKey, string number, int serverPid, int seconds, IReadOnlyList<int> levels)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        using var owner = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        owner.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var failures = 0;
        Console.WriteLine($"{seconds} s per level; each caller speaks {UtteranceMs} ms every {Period.TotalMilliseconds} ms at 50 frames/s");
        await WarmUpAsync(http, number);
        Console.WriteLine("calls  turns  v2v p50 ms  p90 ms  p99 ms  max ms  barge-ins  stop p50 ms  stop max ms  dropped  late  cpu idle  cpu/call  rss/call  rss peak");
        foreach (var calls in levels)
        {
            var idleRss = Rss(serverPid);
            // What the server spends with no call (its workflow engine, timers, the simulator's outbox), taken off each call's share.
            var (idleCpu, idleWall) = (CpuSeconds(serverPid), Stopwatch.StartNew());
            await Task.Delay(TimeSpan.FromSeconds(5)); // a measuring window: the idle server's CPU over five seconds
            var idleRate = (CpuSeconds(serverPid) - idleCpu) / idleWall.Elapsed.TotalSeconds;
            var froms = Enumerable.Range(0, calls).Select(_ => "+1555" + (8_000_000 + Interlocked.Increment(ref _callers)).ToString("D7", CultureInfo.InvariantCulture)).ToList();
            var dialed = await Task.WhenAll(froms.Select(from => DialAsync(http, from, number)));
            await Task.WhenAll(dialed.Select(call => UntilAsync(http, call, m => m.GetProperty("state").GetString() == "streaming" && m.GetProperty("framesReceived").GetInt64() > 0
                && !m.GetProperty("agentSpeaking").GetBoolean())));

            var (cpu, wall) = (CpuSeconds(serverPid), Stopwatch.StartNew());
            var deadline = DateTimeOffset.UtcNow.AddSeconds(seconds);
            var peak = 0L;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, Rss(serverPid));
                    await Task.Delay(500); // sampling interval of the memory peak
                }
            });
            await Task.WhenAll(dialed.Select((call, index) => SpeakAsync(http, call, index, deadline)));
            var cpuPerCall = ((CpuSeconds(serverPid) - cpu) / wall.Elapsed.TotalSeconds - idleRate) / calls;
            await sampling.CancelAsync();
            await sampler;
            var rss = peak;

            var views = await Task.WhenAll(dialed.Select(call => http.GetFromJsonAsync<JsonElement>("/simulate/calls/" + call)));
            var latencies = views.SelectMany(v => v.GetProperty("media").GetProperty("latenciesMs").EnumerateArray().Select(l => l.GetDouble())).Order().ToList();
            var stops = views.SelectMany(v => v.GetProperty("media").GetProperty("bargeInsMs").EnumerateArray().Select(l => l.GetDouble())).Order().ToList();
            var late = views.Sum(v => v.GetProperty("media").GetProperty("lateFrames").GetInt64());
            await Task.WhenAll(dialed.Select(call => http.PostAsJsonAsync($"/simulate/calls/{call}/hangup", new { })));
            var dropped = await DroppedAsync(owner, froms.ToHashSet(StringComparer.Ordinal));
            failures += latencies.Count == 0 ? 1 : 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{calls,5}  {latencies.Count,5}  {Percentile(latencies, 0.5),10:F1}  {Percentile(latencies, 0.9),6:F1}  {Percentile(latencies, 0.99),6:F1}"
                + $"  {(latencies.Count == 0 ? 0 : latencies[^1]),6:F1}"
                + $"  {stops.Count,9}  {Percentile(stops, 0.5),11:F1}  {(stops.Count == 0 ? 0 : stops[^1]),11:F1}"
                + $"  {dropped,7}  {late,5}  {idleRate * 100,7:F1}%  {cpuPerCall * 100,7:F1}%  {(rss - idleRss) / calls / 1048576.0,6:F1} MB  {rss / 1048576.0,6:F0} MB"));
        }

        Console.WriteLine("v2v: last voiced caller frame sent -> first agent frame received (simulated ACS end). stop: the first voiced frame of a");
        Console.WriteLine("caller cutting in on the agent -> StopAudio received (barge-in). late: frames the simulated ACS sent behind");
        Console.WriteLine("its 20 ms clock. cpu/call: % of one core above the idle server, the platform and the simulated ACS end together.");
        Console.WriteLine("rss/call: the process's peak resident memory during the level over its resident memory before it, per call (the GC keeps what it grew).");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>One call through its greeting and a turn, so the first level does not measure the server's start (JIT, first storage calls).</summary>
    private static async Task WarmUpAsync(HttpClient http, string number)
    {
        var call = await DialAsync(http, "+15557999999", number);
        await UntilAsync(http, call, m => m.GetProperty("state").GetString() == "streaming" && m.GetProperty("framesReceived").GetInt64() > 0);
        await SpeakAsync(http, call, 0, DateTimeOffset.UtcNow.AddSeconds(1));
        (await http.PostAsJsonAsync($"/simulate/calls/{call}/hangup", new { })).Dispose();
    }

    private static async Task<string> DialAsync(HttpClient http, string from, string number)
    {
        var response = await http.PostAsJsonAsync("/simulate/incoming-call", new { from, to = number });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("call").GetString()!;
    }

    /// <summary>Speaks every period until the deadline, without watching the call (watching would load the server under test).</summary>
    private static async Task SpeakAsync(HttpClient http, string call, int index, DateTimeOffset deadline)
    {
        // Callers start out of step, as real ones do.
        await Task.Delay(TimeSpan.FromMilliseconds(index * 97 % (int)Period.TotalMilliseconds)); // pacing: callers start out of step
        for (var turn = 0; DateTimeOffset.UtcNow < deadline; turn++)
        {
            var next = Task.Delay(Period); // pacing: one utterance per period, as a caller talks
            (await http.PostAsJsonAsync($"/simulate/calls/{call}/say", new { text = $"Hello, this is caller {index} turn {turn}.", ms = UtteranceMs })).EnsureSuccessStatusCode();
            if (turn % 4 == 3)
            {
                await Task.Delay(CutInAfter); // pacing: cut in while the agent answers
                (await http.PostAsJsonAsync($"/simulate/calls/{call}/say", new { text = "Sorry, one more thing.", ms = InterruptionMs })).EnsureSuccessStatusCode();
            }

            await next;
        }

        // The last reply plays out before the call's figures are read.
        await Task.Delay(Period); // the last reply's playing time, before the figures are read
    }

    private static async Task UntilAsync(HttpClient http, string call, Func<JsonElement, bool> media)
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(2);
        while (!((await http.GetFromJsonAsync<JsonElement>("/simulate/calls/" + call)).TryGetProperty("media", out var m) && media(m)))
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException("The call " + call + " did not start streaming.");
            }

            await Task.Delay(100); // poll interval of a condition wait with a ceiling
        }
    }

    /// <summary>The platform's dropped frames (both ways) over the calls of this level, once each call's socket has closed.</summary>
    private static async Task<long> DroppedAsync(HttpClient owner, HashSet<string> callers)
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(2);
        while (true)
        {
            var ours = (await owner.GetFromJsonAsync<JsonElement>("/api/calls")).EnumerateArray()
                .Where(c => callers.Contains(c.GetProperty("customerNumber").GetString() ?? string.Empty)).ToList();
            if (ours.All(c => c.TryGetProperty("media", out var m) && m.GetProperty("framesIn").GetInt64() > 0) || DateTimeOffset.UtcNow > until)
            {
                return ours.Sum(c => c.TryGetProperty("media", out var m) ? m.GetProperty("framesDropped").GetInt64() : 0);
            }

            await Task.Delay(200); // poll interval of a condition wait with a ceiling
        }
    }

    /// <summary>User and system CPU seconds of a process (Linux /proc).</summary>
    private static double CpuSeconds(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static long Rss(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).First();

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
}
