using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Agents;
using Hiroi.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Hiroi.Tests.Voice;

/// <summary>
/// The built self-host, killed while agents are thinking: every turn is held in a tenant tool the test controls, the
/// process is SIGKILLed with the turn in flight, and after a restart (the simulated ACS redelivers the callback that
/// started the turn) the turn runs again. Every caller hears every reply exactly once, in order.
/// </summary>
[Lane(Lanes.Slow)]
public sealed class VoiceCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Calls = 5;
    private const int TurnsPerCall = 2;
    private readonly ToolEndpoint _tenant = new();

    public Task InitializeAsync() => _tenant.InitializeAsync();

    public Task DisposeAsync() => _tenant.DisposeAsync();

    [Fact]
    public async Task A_self_host_killed_ten_times_between_the_callers_words_and_the_agents_reply_says_every_reply_once()
    {
        using var host = new SelfHostProcess(new Dictionary<string, string>
        {
            // A dead process's claim on a callback lapses after 2 s; no filler, so what the caller hears depends on turns alone.
            ["Hiroi__Events__ClaimLeaseSeconds"] = "2",
            ["Hiroi__Voice__FillerAfterMilliseconds"] = "30000",
            ["Hiroi__Ai__ToolTimeoutSeconds"] = "60",
            ["Hiroi__Calls__CognitiveServicesEndpoint"] = "https://speech.hiroi.test/",
        });
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Crash", "--owner", "crash@example.com", "--json")).RootElement;
        await host.StartAsync();
        using var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
        var number = Unique.PhoneNumber();
        (await admin.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        var tool = new
        {
            name = "wait", description = "Waits", parameters = new { type = "object", properties = new { n = new { type = "string" } } },
            request = new { method = "POST", url = new Uri(_tenant.BaseAddress, "/held").ToString(), body = new { n = "{{args.n}}" } },
        };
        (await admin.PostAsJsonAsync("/api/agents",
                new { name = "Desk", instructions = "Be brief.", model = "local", numbers = new[] { number }, tools = new[] { tool }, voice = new { greeting = "Hi." } }))
            .EnsureSuccessStatusCode();

        var kills = 0;
        for (var c = 0; c < Calls; c++)
        {
            var caller = await SimulatedCaller.DialAsync(new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) }, Unique.PhoneNumber(), number);
            var expected = new List<string> { "Hi." };
            Assert.Equal(expected, await caller.ListeningAfterAsync(1));
            for (var t = 0; t < TurnsPerCall; t++)
            {
                var said = $"c{c}t{t}";
                var calls = _tenant.Calls.Count;
                await caller.SayAsync($"#tool wait {{\"n\":\"{said}\"}}");
                // The turn is in the tenant's tool: the caller's words are accepted, the reply is not yet decided.
                await Waits.UntilAsync(() => Task.FromResult(_tenant.Calls.Count > calls), "the turn to reach the tool");
                host.Kill();
                kills++;
                var again = _tenant.Calls.Count;
                await host.StartAsync();
                // ACS redelivers the callback; its claim lapses; the turn runs again and reaches the tool again.
                await Waits.UntilAsync(() => Task.FromResult(_tenant.Calls.Count > again), "the turn to run again after the restart");
                var held = _tenant.Held;
                _tenant.Held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                held.TrySetResult();
                expected.Add("wait answered:");
                List<string> heard;
                try
                {
                    heard = await caller.ListeningAfterAsync(expected.Count);
                }
                catch (TimeoutException)
                {
                    output.WriteLine(host.LogTail);
                    throw;
                }

                // Every reply once, in order: as many lines as turns, each the agent's answer to its own turn.
                Assert.Equal(expected.Count, heard.Count);
                Assert.All(heard.Skip(1), line => Assert.StartsWith("wait answered:", line, StringComparison.Ordinal));
            }

            await caller.HangUpAsync();
        }

        Assert.Equal(Calls * TurnsPerCall, kills);
    }
}

/// <summary>PCI on the built self-host with every log and trace written: a card number said or keyed on a call is nowhere afterwards.</summary>
public sealed class VoiceCardNumberScanTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_card_number_spoken_and_keyed_is_in_no_table_blob_log_or_trace()
    {
        using var host = new SelfHostProcess(new Dictionary<string, string>
        {
            ["Hiroi__Telemetry__Console"] = "true",
            ["Hiroi__Voice__FillerAfterMilliseconds"] = "30000",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__System.Net.Http"] = "Trace",
            ["Logging__LogLevel__Microsoft.Extensions.AI"] = "Trace",
            ["Hiroi__Calls__CognitiveServicesEndpoint"] = "https://speech.hiroi.test/",
        });
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Cards", "--owner", "cards@example.com", "--json")).RootElement;
        await host.StartAsync();
        using var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
        var number = Unique.PhoneNumber();
        (await admin.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/agents",
                new { name = "Desk", instructions = "Be brief.", model = "local", numbers = new[] { number }, voice = new { greeting = "Hi." } }))
            .EnsureSuccessStatusCode();
        var caller = await SimulatedCaller.DialAsync(new HttpClient { BaseAddress = host.BaseAddress }, Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);

        await caller.SayAsync("my card number is 4111 1111 1111 1111 and it expires next year");
        await caller.ListeningAfterAsync(3);
        await caller.PressAsync("5555555555554444");
        await caller.ListeningAfterAsync(5);
        await caller.HangUpAsync();
        var calls = await admin.GetFromJsonAsync<JsonElement>("/api/calls");
        var call = await admin.GetFromJsonAsync<JsonElement>("/api/calls/" + calls[0].GetProperty("id").GetString());

        Assert.Contains(call.GetProperty("transcript").EnumerateArray(), l => l.GetProperty("text").GetString()!.Contains("[card number removed]", StringComparison.Ordinal));
        Assert.Contains(host.Output, l => l.Contains("Activity.TraceId", StringComparison.Ordinal)); // traces were written, so they were searched
        string[] forms = ["4111111111111111", "4111 1111 1111 1111", "5555555555554444"];
        var leaks = host.Output.Where(l => forms.Any(f => l.Contains(f, StringComparison.Ordinal))).ToList();
        output.WriteLine(string.Join('\n', leaks.Take(5)));
        Assert.Empty(leaks);
        Assert.Empty(await StorageScan.FindAsync(TestStorage.ConnectionString, host.Prefix, forms));
    }
}
