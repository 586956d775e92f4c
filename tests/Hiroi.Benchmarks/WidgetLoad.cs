using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Widget;

namespace Hiroi.Benchmarks;

/// <summary>
/// Load run on loopback (scripts/bench-widget.sh starts Azurite and the server): visitors opening widget sessions
/// (challenge, proof of work, session) and heartbeating them, each worker one visitor after another, then ending the
/// session. Reports sessions and heartbeats a second, and their latency percentiles.
/// </summary>
public static class WidgetLoad
{
    public static async Task<int> RunAsync(Uri server, string keyId, string origin, int seconds, int concurrency, int heartbeats)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        var opens = new List<double>();
        var beats = new List<double>();
        var failures = 0;
        var deadline = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            for (var visitor = 0; deadline.Elapsed < TimeSpan.FromSeconds(seconds); visitor++)
            {
                var started = Stopwatch.GetTimestamp();
                var challenge = JsonDocument.Parse(await (await PostAsync(http, keyId, origin, "challenge", null, new { })).Content.ReadAsStringAsync()).RootElement;
                var text = challenge.GetProperty("challenge").GetString();
                var solution = text is null ? null : Solve(text, challenge.GetProperty("bits").GetInt32());
                var opened = await PostAsync(http, keyId, origin, "sessions", null, new { visitorId = $"bench-{worker:D4}-{visitor:D6}", challenge = text, solution });
                if (!opened.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }

                var session = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("sessionToken").GetString();
                lock (opens)
                {
                    opens.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                for (var i = 0; i < heartbeats; i++)
                {
                    var beat = Stopwatch.GetTimestamp();
                    if (!(await PostAsync(http, keyId, origin, "heartbeat", session, new { })).IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failures);
                    }

                    lock (beats)
                    {
                        beats.Add(Stopwatch.GetElapsedTime(beat).TotalMilliseconds);
                    }
                }

                await PostAsync(http, keyId, origin, "end", session, new { });
            }
        }));
        var elapsed = deadline.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sessions opened : {opens.Count / elapsed,8:F0}/s  p50 {Percentile(opens, 0.5):F1} ms  p99 {Percentile(opens, 0.99):F1} ms (challenge + proof of work + session)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"heartbeats      : {beats.Count / elapsed,8:F0}/s  p50 {Percentile(beats, 0.5):F1} ms  p99 {Percentile(beats, 0.99):F1} ms"));
        Console.WriteLine($"failures        : {failures}");
        return failures == 0 ? 0 : 1;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, string keyId, string origin, string action, string? session, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/widget/v1/keys/{keyId}/{action}") { Content = JsonContent.Create(body) };
        request.Headers.Add("Origin", origin);
        if (session is not null)
        {
            request.Headers.Add("x-widget-session", session);
        }

        return http.SendAsync(request);
    }

    public static string Solve(string challenge, int bits)
    {
        for (var n = 0; ; n++)
        {
            var solution = n.ToString(CultureInfo.InvariantCulture);
            if (ProofOfWorkBotCheck.LeadingZeroBits(SHA256.HashData(Encoding.UTF8.GetBytes(challenge + ":" + solution))) >= bits)
            {
                return solution;
            }
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }
}
