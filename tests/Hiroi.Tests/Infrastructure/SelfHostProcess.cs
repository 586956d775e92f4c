using System.Diagnostics;
using System.Security.Cryptography;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The built self-host (Hiroi.Server.dll) as a real process with the ACS simulator, on a free port, over the test
/// Azurite with its own prefix: a fault test can SIGKILL it and start it again on the same storage.
/// </summary>
public sealed class SelfHostProcess : IDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string _settingsFile = Path.Combine(Path.GetTempPath(), "hiroi-selfhost-" + Guid.NewGuid().ToString("N") + ".json");
    private Process? _process;

    public SelfHostProcess(IDictionary<string, string>? settings = null)
    {
        Port = TestStorage.FreePort();
        File.WriteAllText(_settingsFile, """{"Values":{}}""");
        var url = $"http://127.0.0.1:{Port}";
        _environment = new Dictionary<string, string>
        {
            ["HIROI_LOCAL_SETTINGS"] = _settingsFile,
            ["AzureWebJobsStorage"] = TestStorage.ConnectionString,
            ["Hiroi__Storage__Prefix"] = Prefix,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Hiroi__AcsSimulator__Enabled"] = "true",
            ["Hiroi__AcsSimulator__WebhookUrl"] = url + "/api/eventgrid/acs",
            ["Hiroi__AcsSimulator__EventDelayMilliseconds"] = "10",
            ["Hiroi__Acs__Endpoint"] = url,
            ["Hiroi__Acs__AccessKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Hiroi__Acs__CallbackAuth__Audience"] = "hiroi-test-acs",
            ["Hiroi__Acs__CallbackAuth__OpenIdConfigurationUrl"] = url + "/calling/.well-known/acsopenidconfiguration",
            ["Hiroi__EventGrid__WebhookSecret"] = "fault-test-secret",
            ["Hiroi__Calls__PublicBaseUrl"] = url,
            ["Hiroi__Calls__CallbackSigningKeys"] = "c1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Hiroi__Recordings__KeyEncryptionKeys"] = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Hiroi__Privacy__SubjectKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            // A killed worker's messages come back after 3 s; idle queues are polled at least every 500 ms.
            ["Hiroi__Durable__QueueVisibilitySeconds"] = "3",
            ["Hiroi__Durable__MaxPollMilliseconds"] = "500",
            ["Hiroi__Campaigns__IntentLeaseSeconds"] = "5",
            ["Hiroi__Campaigns__AwaitingCheckSeconds"] = "1",
            // Fault tests poll and restart from one address; the limits have tests of their own, which turn them on.
            ["Hiroi__RateLimits__Enabled"] = "false",
            ["Hiroi__Ai__Models__local__InputUsdPerMillionTokens"] = "1",
            ["Hiroi__Ai__Models__local__OutputUsdPerMillionTokens"] = "3",
            ["Hiroi__Ai__AllowLoopbackTools"] = "true",
            ["Hiroi__TenantSecrets__KeyEncryptionKeys"] = "t1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            // Console sign-in on http://localhost (a secure context for cookies and WebAuthn; an IP cannot be a passkey's RP id).
            ["Hiroi__SignIn__PublicBaseUrl"] = $"http://localhost:{Port}",
            ["Hiroi__SignIn__SenderAddress"] = "DoNotReply@hiroi.test",
            ["Hiroi__SignIn__PasskeyRelyingPartyId"] = "localhost",
            ["Hiroi__SignIn__TotpKeys"] = "s1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _environment[key] = value;
        }
    }

    public int Port { get; }

    /// <summary>Changes a setting for the next start (a restart with a switch turned on).</summary>
    public void Set(string key, string value) => _environment[key] = value;

    /// <summary>The storage prefix of this host's tables, queues and containers.</summary>
    public string Prefix { get; } = TestStorage.NewPrefix();

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    private static string ServerDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            return Path.Combine(TestStorage.RepoRoot(), "functions", "Hiroi.Server", "bin", configuration, "net10.0", "Hiroi.Server.dll");
        }
    }

    /// <summary>Runs the CLI of the same build with the same settings (e.g. <c>org create</c>) and returns its output.</summary>
    public async Task<string> CliAsync(params string[] arguments)
    {
        using var cli = Process.Start(StartInfo(arguments))!;
        var output = await cli.StandardOutput.ReadToEndAsync();
        await cli.WaitForExitAsync();
        Assert.True(cli.ExitCode == 0, "CLI failed: " + await cli.StandardError.ReadToEndAsync());
        return output;
    }

    public async Task StartAsync()
    {
        _process = Process.Start(StartInfo(["--urls", BaseAddress.ToString().TrimEnd('/')]))!;
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Started when it answers its health route, however long a busy machine takes; an exit ends the wait at once.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var process = _process;
        await Waits.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The self-host exited with {process.ExitCode} while starting:\n{LogTail}");
            }

            try
            {
                return (await http.GetAsync(new Uri(BaseAddress, "/healthz"))).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false; // not listening, or not answering, yet
            }
        }, "the self-host to answer /healthz");
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();

    /// <summary>Every line the host wrote to stdout and stderr (logs, and traces when the console exporter is on), across restarts.</summary>
    public IReadOnlyList<string> Output => [.. _log];

    /// <summary>The last lines the host wrote (warnings and errors), across restarts, for a failing test to show.</summary>
    public string LogTail => string.Join('\n', _log.TakeLast(60));

    private void Record(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(DateTime.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) + " " + line);
        }
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, whatever it was doing stops mid-way.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        File.Delete(_settingsFile);
    }

    private ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ServerDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }
}
