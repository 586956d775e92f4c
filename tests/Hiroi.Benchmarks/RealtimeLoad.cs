using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

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
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SamplingInterval = TimeSpan.FromMilliseconds(500);
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
            using (var window = new PeriodicTimer(IdleWindow))
            {
                await window.WaitForNextTickAsync(); // the measuring window's end
            }

            var idleRate = (CpuSeconds(serverPid) - idleCpu) / idleWall.Elapsed.TotalSeconds;
            var froms = Enumerable.Range(0, calls).Select(_ => "+1555" + (8_000_000 + Interlocked.Increment(ref _callers)).ToString("D7", CultureInfo.InvariantCulture)).ToList();
            var dialed = await Task.WhenAll(froms.Select(from => DialAsync(http, from, number)));
            await Task.WhenAll(dialed.Select(call => MediaAsync(http, call, m => m.GetProperty("state").GetString() == "streaming"
                && m.GetProperty("framesReceived").GetInt64() > 0 && !m.GetProperty("agentSpeaking").GetBoolean(), "the greeting played")));

            var (cpu, wall) = (CpuSeconds(serverPid), Stopwatch.StartNew());
            var deadline = DateTimeOffset.UtcNow.AddSeconds(seconds);
            var peak = 0L;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                using var samples = new PeriodicTimer(SamplingInterval);
                try
                {
                    do
                    {
                        peak = Math.Max(peak, Rss(serverPid));
                    }
                    while (await samples.WaitForNextTickAsync(sampling.Token));
                }
                catch (OperationCanceledException)
                {
                    // The level's calls are over.
                }
            });
            await SpeakOutOfStepAsync(http, dialed, deadline);
            // The last replies play out before the calls' figures are read.
            await Task.WhenAll(dialed.Select(call => MediaAsync(http, call, m => !m.GetProperty("speaking").GetBoolean()
                && !m.GetProperty("agentSpeaking").GetBoolean(), "the last reply played")));
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
        await MediaAsync(http, call, m => m.GetProperty("state").GetString() == "streaming" && m.GetProperty("framesReceived").GetInt64() > 0, "the warm-up call");
        await SpeakOutOfStepAsync(http, [call], DateTimeOffset.UtcNow.AddSeconds(1));
        (await http.PostAsJsonAsync($"/simulate/calls/{call}/hangup", new { })).Dispose();
    }

    private static async Task<string> DialAsync(HttpClient http, string from, string number)
    {
        var response = await http.PostAsJsonAsync("/simulate/incoming-call", new { from, to = number });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("call").GetString()!;
    }

    /// <summary>
    /// Every caller speaks once a period until the deadline, out of step as real callers are: they start one after
    /// another, evenly over the first period. Every fourth turn a caller cuts in on the agent's answer.
    /// </summary>
    private static async Task SpeakOutOfStepAsync(HttpClient http, string[] calls, DateTimeOffset deadline)
    {
        // The load's clocks (its rate, not a wait for anything): one caller starts a tick, then each speaks a period.
        using var starts = new PeriodicTimer(Period / calls.Length);
        var speaking = new List<Task>();
        for (var index = 0; index < calls.Length; index++)
        {
            if (index > 0)
            {
                await starts.WaitForNextTickAsync();
            }

            speaking.Add(SpeakAsync(http, calls[index], index, deadline));
        }

        await Task.WhenAll(speaking);
    }

    private static async Task SpeakAsync(HttpClient http, string call, int index, DateTimeOffset deadline)
    {
        using var clock = new PeriodicTimer(Period);
        var turn = 0;
        do
        {
            (await http.PostAsJsonAsync($"/simulate/calls/{call}/say", new { text = $"Hello, this is caller {index} turn {turn}.", ms = UtteranceMs }))
                .EnsureSuccessStatusCode();
            if (turn % 4 == 3)
            {
                // A barge-in: once the agent is heard answering, the caller talks over it.
                await MediaAsync(http, call, m => m.GetProperty("agentSpeaking").GetBoolean() && !m.GetProperty("speaking").GetBoolean(), "the agent answering");
                (await http.PostAsJsonAsync($"/simulate/calls/{call}/say", new { text = "Sorry, one more thing.", ms = InterruptionMs })).EnsureSuccessStatusCode();
            }

            turn++;
        }
        while (DateTimeOffset.UtcNow < deadline && await clock.WaitForNextTickAsync());
    }

    /// <summary>Waits until the simulated caller's view of the call's media stream satisfies <paramref name="done"/>.</summary>
    private static Task MediaAsync(HttpClient http, string call, Func<JsonElement, bool> done, string what) =>
        Waits.UntilAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>("/simulate/calls/" + call)).TryGetProperty("media", out var m) && done(m),
            $"{what} on {call}");

    /// <summary>The platform's dropped frames (both ways) over the calls of this level, once each call's socket has closed.</summary>
    private static async Task<long> DroppedAsync(HttpClient owner, HashSet<string> callers)
    {
        var ours = await Waits.UntilAsync(
            async () => (await owner.GetFromJsonAsync<JsonElement>("/api/calls")).EnumerateArray()
                .Where(c => callers.Contains(c.GetProperty("customerNumber").GetString() ?? string.Empty)).ToList(),
            calls => calls.All(c => c.TryGetProperty("media", out var m) && m.GetProperty("framesIn").GetInt64() > 0),
            "every call's media counts");
        return ours.Sum(c => c.GetProperty("media").GetProperty("framesDropped").GetInt64());
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
