using System.Diagnostics;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Benchmarks.Chaos;

/// <summary>
/// The Release self-host as a process of the chaos run, over its own Azurite and Garnet: the settings <c>./run</c> would
/// use (the sample's, with fresh secrets), pointed at this run's ports, with the ACS simulator on and generous rate limits
/// (so the limiter's Redis path runs without refusing the load).
/// </summary>
public sealed class ServerProcess(string serverDll, string settingsFile, int port, string storage, string redis) : FaultyDependency
{
    public Uri BaseAddress { get; } = new($"http://127.0.0.1:{port}");

    /// <summary>Settings added for the next start (the ACS simulator's faults, say).</summary>
    public Dictionary<string, string> Extra { get; } = [];

    public string WebhookSecret => Settings()["Hiroi__EventGrid__WebhookSecret"];

    protected override IReadOnlyList<int> Ports => [port];

    protected override ProcessStartInfo StartInfo()
    {
        var info = new ProcessStartInfo("dotnet") { ArgumentList = { serverDll, "--urls", BaseAddress.ToString().TrimEnd('/') } };
        foreach (var (name, value) in Settings().Concat(Extra))
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>Runs the self-host's CLI (<c>org create ...</c>) with the server's settings and returns its output.</summary>
    public async Task<string> CliAsync(params string[] arguments)
    {
        var info = StartInfo();
        info.ArgumentList.Clear();
        info.ArgumentList.Add(serverDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.RedirectStandardOutput = true;
        using var cli = Process.Start(info)!;
        var output = await cli.StandardOutput.ReadToEndAsync();
        await cli.WaitForExitAsync();
        return cli.ExitCode == 0 ? output : throw new InvalidOperationException($"The CLI exited with {cli.ExitCode}.");
    }

    /// <summary>Waits until <c>/readyz</c> says ready (storage answers, settings valid).</summary>
    public async Task ReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await Waits.UntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("/readyz")).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, "the self-host to be ready");
    }

    private Dictionary<string, string> Settings()
    {
        var values = JsonDocument.Parse(File.ReadAllText(settingsFile)).RootElement.GetProperty("Values");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values.EnumerateObject().Where(v => v.Value.ValueKind == JsonValueKind.String))
        {
            settings[value.Name] = value.Value.GetString()!.Replace("http://localhost:7071", BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal);
        }

        settings["HIROI_LOCAL_SETTINGS"] = settingsFile;
        settings["AzureWebJobsStorage"] = storage;
        settings["Hiroi__Redis__Connection"] = redis;
        settings["Hiroi__Storage__Prefix"] = "chaos";
        settings["ASPNETCORE_ENVIRONMENT"] = "Production";
        settings["Logging__LogLevel__Default"] = "Warning";
        settings["Hiroi__AcsSimulator__Enabled"] = "true";
        settings["Hiroi__AcsSimulator__EventDelayMilliseconds"] = "10";
        settings["Hiroi__Widget__ProofOfWorkBits"] = "8"; // the visitors' bot check, as the widget load run has it
        settings["Hiroi__RateLimits__WebhookPerIpPerMinute"] = "1000000";
        settings["Hiroi__RateLimits__PerCredentialPerMinute"] = "1000000";
        settings["Hiroi__RateLimits__AnonymousPerIpPerMinute"] = "1000000";
        // A stopped storage's lost work comes back within seconds (queue visibility, intent lease), as in the kill tests.
        settings["Hiroi__Durable__QueueVisibilitySeconds"] = "5";
        settings["Hiroi__Durable__MaxPollMilliseconds"] = "500";
        settings["Hiroi__Campaigns__IntentLeaseSeconds"] = "10";
        settings["Hiroi__Campaigns__AwaitingCheckSeconds"] = "1";
        return settings;
    }
}
