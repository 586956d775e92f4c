using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// A dependency process of a fault test's own (never the suite's shared Azurite or Garnet, which other tests use at the
/// same time): it can be frozen (SIGSTOP: connections stay open and nothing answers, as a hung server), thawed
/// (SIGCONT), stopped (SIGKILL: connections refused) and started again on the same ports and, for Azurite, the same data.
/// </summary>
public abstract class FaultyDependency : IDisposable
{
    private const int SigStop = 19;
    private const int SigCont = 18;
    private const int SigTerm = 15;
    private Process? _process;

    protected abstract IReadOnlyList<int> Ports { get; }

    protected abstract ProcessStartInfo StartInfo();

    /// <summary>Starts the process and waits until every port answers.</summary>
    public async Task StartAsync()
    {
        var info = StartInfo();
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        foreach (var port in Ports)
        {
            await Waits.UntilAsync(() => process.HasExited
                ? throw new InvalidOperationException($"{info.FileName} exited with {process.ExitCode} while starting.")
                : Task.FromResult(Answers(port)), $"{GetType().Name} to answer on port {port}");
        }
    }

    /// <summary>SIGSTOP: the process holds its sockets and answers nothing until <see cref="Thaw"/>.</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Thaw() => Signal(SigCont);

    /// <summary>SIGKILL: every connection is refused until <see cref="StartAsync"/> runs again.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            Signal(SigCont); // a frozen process dies only once it runs
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// SIGTERM, and waits for the exit: the process stops as a server is taken down, saving what it acknowledged (Azurite
    /// keeps table rows in memory between periodic saves, so a SIGKILL loses seconds of writes real storage would keep).
    /// </summary>
    public async Task TerminateAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Signal(SigCont);
            Signal(SigTerm);
            using var ceiling = new CancellationTokenSource(Waits.Ceiling);
            await process.WaitForExitAsync(ceiling.Token);
        }

        Stop();
    }

    public virtual void Dispose()
    {
        Stop();
        GC.SuppressFinalize(this);
    }

    private void Signal(int signal)
    {
        if (_process is not { HasExited: false } process || kill(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"Could not signal {GetType().Name} ({signal}): it is not running.");
        }
    }

    private static bool Answers(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, IDE1006 // the C library's name
    private static extern int kill(int pid, int sig);
#pragma warning restore SA1300, IDE1006
}

/// <summary>An Azurite of one fault test's own, on free ports, keeping its data on disk so a restart finds it again.</summary>
public sealed class OwnAzurite : FaultyDependency
{
    private readonly string _location = Directory.CreateTempSubdirectory("hiroi-azurite-").FullName;
    private readonly int _blob = TestStorage.FreePort();
    private readonly int _queue = TestStorage.FreePort();
    private readonly int _table = TestStorage.FreePort();

    public OwnAzurite() => Lanes.Refuse("Azurite");

    public string ConnectionString => TestStorage.AzuriteConnectionString(_blob, _queue, _table);

    protected override IReadOnlyList<int> Ports => [_blob, _queue, _table];

    protected override ProcessStartInfo StartInfo() => new(Path.Combine(TestStorage.RepoRoot(), "node_modules", ".bin", "azurite"))
    {
        ArgumentList =
        {
            "--silent", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl", "--disableTelemetry", "--location", _location,
            "--blobHost", "127.0.0.1", "--blobPort", _blob.ToString(), "--queueHost", "127.0.0.1", "--queuePort", _queue.ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", _table.ToString(),
        },
    };

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(_location, recursive: true);
    }
}

/// <summary>
/// A Garnet (Redis protocol) server of one fault test's own, on a free port, with Lua on: the server <c>./test</c> runs
/// (<c>HIROI_GARNET_DLL</c>). Its data lives in memory, so a restart comes back empty, as a Redis failover may.
/// </summary>
public sealed class OwnGarnet : FaultyDependency
{
    private readonly int _port = TestStorage.FreePort();

    public OwnGarnet() => Lanes.Refuse("Garnet");

    public string Connection => $"127.0.0.1:{_port}";

    protected override IReadOnlyList<int> Ports => [_port];

    protected override ProcessStartInfo StartInfo() => new("dotnet")
    {
        ArgumentList =
        {
            Environment.GetEnvironmentVariable("HIROI_GARNET_DLL") is { Length: > 0 } dll
                ? dll
                : throw new InvalidOperationException("HIROI_GARNET_DLL is not set: run the tests through ./test, which finds Garnet."),
            "--port", _port.ToString(), "--bind", "127.0.0.1", "--lua", "true", "-q", "-m", "64m", "-i", "16m",
        },
    };
}
