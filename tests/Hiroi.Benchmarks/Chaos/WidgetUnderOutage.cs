using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hiroi.Benchmarks.Chaos;

/// <summary>
/// Visitors chatting with an agent through the widget (a message every four seconds each) while a dependency goes away and comes
/// back. Afterwards each session must either go on (its next message answered) or have ended with a reason the widget
/// can show (a problem with a title); a session that does neither is counted lost.
/// </summary>
public sealed class WidgetUnderOutage(ServerProcess server, string apiKey)
{
    private const string Origin = "https://chaos.example.com";
    private const int SecondsBetweenMessages = 4;

    public async Task<ChaosResult> RunAsync(Outage outage, int visitors, TimeSpan before, TimeSpan length, TimeSpan after)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var key = await KeyAsync(http);
        var sessions = await Task.WhenAll(Enumerable.Range(0, visitors).Select(v => OpenAsync(http, key, $"chaos-{v:D4}")));
        var clock = Stopwatch.StartNew();
        var errors = new Dictionary<string, int>(StringComparer.Ordinal);
        var slowest = TimeSpan.Zero;
        var firstAnsweredAfter = new TimeSpan?[visitors];
        Task? ending = null;
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1)); // the load's own clock
        for (var n = 0; await pace.WaitForNextTickAsync(); n++)
        {
            if (outage.Began is null && clock.Elapsed >= before)
            {
                outage.Begin(clock);
            }

            if (ending is null && outage.Began is { } began && clock.Elapsed >= began + length)
            {
                ending = outage.EndAsync(clock);
            }

            if (outage.Ended is { } ended && clock.Elapsed >= ended + after)
            {
                break;
            }

            var round = n;
            // Each visitor writes every fourth second (15 a minute, under the widget's 20 a minute per session), staggered.
            await Task.WhenAll(Enumerable.Range(0, visitors).Where(v => (round + v) % SecondsBetweenMessages == 0).Select(async v =>
            {
                var sentAt = clock.Elapsed;
                var outcome = await MessageAsync(http, key, sessions[v], $"Where is order {round}?");
                lock (errors)
                {
                    if (outcome != "200")
                    {
                        errors[outcome] = errors.GetValueOrDefault(outcome) + 1;
                    }

                    if (outage.During(sentAt))
                    {
                        slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, (clock.Elapsed - sentAt).Ticks));
                    }

                    if (outcome == "200" && outage.Ended is { } back && sentAt >= back)
                    {
                        firstAnsweredAfter[v] ??= sentAt - back;
                    }
                }
            }));
        }

        await ending!;
        // Where each session stands now: answered (it went on) or refused with a problem the widget can show (it ended).
        var finals = await Task.WhenAll(sessions.Select(s => FinalAsync(http, key, s)));
        var recovery = firstAnsweredAfter.Where((f, v) => finals[v] == Final.WentOn).Select(f => f ?? TimeSpan.Zero).DefaultIfEmpty(TimeSpan.Zero).Max();
        var what = string.Create(CultureInfo.InvariantCulture, $"{outage.Name} {length.TotalSeconds:F0}s");
        return new ChaosResult("widget", $"{visitors} chats, 1 msg/{SecondsBetweenMessages}s", what, errors, slowest, recovery, null, finals.Count(f => f == Final.Lost));
    }

    private enum Final
    {
        WentOn,
        EndedWithReason,
        Lost,
    }

    private async Task<string> KeyAsync(HttpClient http)
    {
        using var admin = new HttpRequestMessage(HttpMethod.Post, "/api/agents")
        {
            Content = JsonContent.Create(new { name = "Chaos", instructions = "Be brief.", model = "local" }),
        };
        admin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var agent = await IdAsync(await http.SendAsync(admin));
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/widget-keys")
        {
            Content = JsonContent.Create(new
            {
                name = "Chaos", environment = "dev", mode = "origin", origins = new[] { Origin }, agentId = agent, maxSessions = 100_000,
                messagesPerSession = 1000, // the run's chats outlast the default quota of 50; a session that reached it would end for that reason
            }),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return await IdAsync(await http.SendAsync(create));
    }

    private static async Task<string> OpenAsync(HttpClient http, string key, string visitor)
    {
        var challenge = JsonDocument.Parse(await (await WidgetLoad.PostAsync(http, key, Origin, "challenge", null, new { })).Content.ReadAsStringAsync()).RootElement;
        var text = challenge.GetProperty("challenge").GetString();
        var solution = text is null ? null : WidgetLoad.Solve(text, challenge.GetProperty("bits").GetInt32());
        var opened = await WidgetLoad.PostAsync(http, key, Origin, "sessions", null, new { visitorId = visitor, challenge = text, solution });
        opened.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("sessionToken").GetString()!;
    }

    private static async Task<string> MessageAsync(HttpClient http, string key, string session, string text)
    {
        try
        {
            using var answer = await WidgetLoad.PostAsync(http, key, Origin, "messages", session, new { text });
            return ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (TaskCanceledException)
        {
            return "timeout";
        }
        catch (HttpRequestException)
        {
            return "network";
        }
    }

    private static async Task<Final> FinalAsync(HttpClient http, string key, string session)
    {
        using var answer = await WidgetLoad.PostAsync(http, key, Origin, "messages", session, new { text = "Thanks, one more thing." });
        if (answer.IsSuccessStatusCode)
        {
            return Final.WentOn;
        }

        var body = await answer.Content.ReadAsStringAsync();
        var isProblem = (int)answer.StatusCode is >= 400 and < 500 && answer.Content.Headers.ContentType?.MediaType == "application/problem+json"
            && JsonDocument.Parse(body).RootElement.TryGetProperty("title", out _);
        return isProblem ? Final.EndedWithReason : Final.Lost;
    }

    private static async Task<string> IdAsync(HttpResponseMessage created)
    {
        created.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }
}
