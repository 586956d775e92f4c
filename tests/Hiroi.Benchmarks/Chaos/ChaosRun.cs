using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Benchmarks.Chaos;

/// <summary>
/// <c>scripts/chaos.sh</c>: the Release self-host over an Azurite and a Garnet of this run's own, on loopback, and each
/// scenario of "When things fail" (README) against it: inbound SMS at a steady rate while storage is frozen, while it is
/// stopped and restarted, while Redis is frozen and while it is stopped; widget chats while storage is frozen and while
/// Redis is stopped; a campaign while storage is stopped, and one while ACS answers 429, 5xx and nothing. Prints one
/// table row per scenario and fails (exit 1) on a 500, a lost or doubled item, or a load never served again.
/// </summary>
public static class ChaosRun
{
    public static async Task<int> RunAsync(string repoRoot, string garnetDll, string serverDll, string settingsFile, string workDir, int outageSeconds, int perSecond, int contacts,
        int visitors)
    {
        using var azurite = new AzuriteProcess(repoRoot, Directory.CreateDirectory(Path.Combine(workDir, "azurite")).FullName, FreePort(), FreePort(), FreePort());
        using var garnet = new GarnetProcess(garnetDll, FreePort());
        await azurite.StartAsync();
        await garnet.StartAsync();
        using var server = new ServerProcess(serverDll, settingsFile, FreePort(), azurite.ConnectionString, garnet.Connection);
        await server.StartAsync();
        await server.ReadyAsync();
        var org = JsonDocument.Parse(await server.CliAsync("org", "create", "Chaos", "--owner", "chaos@example.com", "--json")).RootElement;
        var (orgId, apiKey) = (org.GetProperty("orgId").GetString()!, org.GetProperty("apiKey").GetString()!);
        const string Number = "+15550708000";
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
            (await http.PostAsync("/api/numbers", JsonContent(new { number = Number }))).EnsureSuccessStatusCode();
        }

        var length = TimeSpan.FromSeconds(outageSeconds);
        var settle = TimeSpan.FromSeconds(Math.Max(3, outageSeconds / 3));
        var webhook = new WebhookUnderOutage(server, azurite.ConnectionString, orgId, Number);
        var results = new List<ChaosResult>();
        Console.WriteLine(ChaosResult.Header);
        foreach (var outage in new[]
        {
            new Outage("storage", azurite, freeze: true), new Outage("storage", azurite, freeze: false),
            new Outage("redis", garnet, freeze: true), new Outage("redis", garnet, freeze: false),
        })
        {
            await server.ReadyAsync();
            results.Add(await webhook.RunAsync(outage, perSecond, settle, length, settle));
            Console.WriteLine(results[^1]);
        }

        foreach (var outage in new[] { new Outage("storage", azurite, freeze: true), new Outage("redis", garnet, freeze: false) })
        {
            await server.ReadyAsync();
            results.Add(await new WidgetUnderOutage(server, apiKey).RunAsync(outage, visitors, settle, length, settle));
            Console.WriteLine(results[^1]);
        }

        await server.ReadyAsync();
        results.Add(await new CampaignUnderOutage(server, apiKey).RunAsync(new Outage("storage", azurite, freeze: false), contacts, length));
        Console.WriteLine(results[^1]);

        // ACS's bad days: every third send answered 429, no answer, 500, 503, then sent with its reply lost, then taken.
        server.Stop();
        server.Extra["Hiroi__AcsSimulator__Faults__Sms__Pattern"] = "429:1,timeout,500,503,lost,ok";
        server.Extra["Hiroi__AcsSimulator__Faults__Sms__Every"] = "3";
        server.Extra["Hiroi__Acs__AttemptTimeoutMilliseconds"] = "2000";
        server.Extra["Hiroi__Campaigns__SendRetrySeconds"] = "1";
        await server.StartAsync();
        await server.ReadyAsync();
        // A fifth of the contacts: each faulted send takes five requests and its sender's pause, so this one is slow by design.
        results.Add(await new CampaignUnderOutage(server, apiKey).RunAsync(null, Math.Max(30, contacts / 5), length));
        Console.WriteLine(results[^1]);
        return results.Any(r => r.Failed) ? 1 : 0;
    }

    private static StringContent JsonContent(object value) => new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
