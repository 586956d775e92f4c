using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// A dependency process of a fault test's own (never the suite's shared Azurite or Garnet, which other tests use at the
/// same time): it can be frozen (SIGSTOP: connections stay open and nothing answers, as a hung server), thawed
/// (SIGCONT), stopped (SIGKILL: connections refused) and started again on the same ports and, for Azurite, the same data.
/// Linked into the benchmarks for <c>scripts/chaos.sh</c>, so it knows nothing of the suite (see <c>OwnAzurite</c>).
/// </summary>
public abstract class FaultyDependency : IDisposable
{
    private const int SigStop = 19;
    private const int SigCont = 18;
    private const int SigTerm = 15;
    private Process? _process;

    protected abstract IReadOnlyList<int> Ports { get; }

    protected abstract ProcessStartInfo StartInfo();

    /// <summary>
    /// Whether <see cref="Stop"/> asks the process to end (SIGTERM) rather than kills it: Azurite keeps its data in memory
    /// and writes it to disk now and then, so a killed Azurite forgets writes it acknowledged, which Azure Storage never does.
    /// </summary>
    protected virtual bool StopsGracefully => false;

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
        // Never outlives the process that started it, even one that ends without disposing it (a killed load run).
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // stopped (and disposed) already
            }
        };
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

    /// <summary>
    /// Stops the process (SIGTERM when it <see cref="StopsGracefully"/>, else SIGKILL): every connection is refused until
    /// <see cref="StartAsync"/> runs again.
    /// </summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            Signal(SigCont); // a frozen process ends only once it runs
            if (!StopsGracefully || kill(_process.Id, SigTerm) != 0 || !_process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
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

    /// <summary>Whether something accepts connections on the loopback <paramref name="port"/>.</summary>
    public static bool Answers(int port)
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

/// <summary>An Azurite on the given loopback ports, keeping its data in <paramref name="location"/> so a restart finds it again.</summary>
public class AzuriteProcess(string repoRoot, string location, int blob, int queue, int table) : FaultyDependency
{
    // Azurite's published development account key; not a secret.
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public string ConnectionString => ConnectionStringFor(blob, queue, table);

    /// <summary>The connection string of an Azurite on the given loopback ports.</summary>
    public static string ConnectionStringFor(int blob, int queue, int table) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;"
        + $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

    protected override IReadOnlyList<int> Ports => [blob, queue, table];

    protected override bool StopsGracefully => true;

    protected override ProcessStartInfo StartInfo() => new(Path.Combine(repoRoot, "node_modules", ".bin", "azurite"))
    {
        ArgumentList =
        {
            "--silent", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl", "--disableTelemetry", "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(CultureInfo.InvariantCulture), "--queueHost", "127.0.0.1",
            "--queuePort", queue.ToString(CultureInfo.InvariantCulture), "--tableHost", "127.0.0.1", "--tablePort", table.ToString(CultureInfo.InvariantCulture),
        },
    };
}

/// <summary>
/// A Garnet (Redis protocol) server on the given loopback port with Lua on, run from its dll (the garnet-server tool
/// <c>./test</c> restores). Its data lives in memory, so a restart comes back empty, as a Redis failover may.
/// </summary>
public class GarnetProcess(string garnetDll, int port) : FaultyDependency
{
    public string Connection => $"127.0.0.1:{port}";

    protected override IReadOnlyList<int> Ports => [port];

    protected override ProcessStartInfo StartInfo() => new("dotnet")
    {
        ArgumentList = { garnetDll, "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--lua", "true", "-q", "-m", "64m", "-i", "16m" },
    };
}
