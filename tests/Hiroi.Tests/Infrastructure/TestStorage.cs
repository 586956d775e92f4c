using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The real Azurite every storage test talks to: the one <c>./test</c> started (<c>HIROI_TEST_STORAGE</c>), or, when the
/// tests are run some other way, one this class starts from the repo's node_modules in memory on free ports.
/// Each fixture takes its own <see cref="NewPrefix"/> so tests never see each other's tables.
/// </summary>
public static class TestStorage
{
    private static readonly Lazy<string> Connection = new(ResolveConnectionString);
    private static Process? _azurite;

    public static string ConnectionString
    {
        get
        {
            Lanes.Refuse("Azurite");
            return Connection.Value;
        }
    }

    /// <summary>A fresh table/container prefix: a letter and 11 hex digits.</summary>
    public static string NewPrefix() => "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))[..11];

    /// <summary>A connection string to a port where nothing listens, for tests of storage faults.</summary>
    public static string Unreachable()
    {
        var port = FreePort();
        return AzuriteProcess.ConnectionStringFor(port, port, port);
    }

    private static string ResolveConnectionString()
    {
        var fromScript = Environment.GetEnvironmentVariable("HIROI_TEST_STORAGE");
        return string.IsNullOrWhiteSpace(fromScript) ? StartOwnAzurite() : fromScript;
    }

    private static string StartOwnAzurite()
    {
        var root = RepoRoot();
        var azurite = Path.Combine(root, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException("Azurite is not installed: run ./test (or npm ci) at the repository root.");
        }

        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo(azurite)
        {
            ArgumentList =
            {
                "--silent", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl", "--disableTelemetry", "--inMemoryPersistence",
                "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(), "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(),
                "--tableHost", "127.0.0.1", "--tablePort", table.ToString(),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _azurite = Process.Start(start) ?? throw new InvalidOperationException("Could not start Azurite.");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _azurite.Kill(entireProcessTree: true);
        foreach (var port in new[] { blob, queue, table })
        {
            WaitForPort(port);
        }

        return AzuriteProcess.ConnectionStringFor(blob, queue, table);
    }

    private static void WaitForPort(int port) =>
        // Called while the storage connection string is first resolved (synchronously): the suite's one condition wait.
        Task.Run(() => Waits.UntilAsync(() => Task.FromResult(FaultyDependency.Answers(port)), $"Azurite to answer on port {port}")).GetAwaiter().GetResult();

    /// <summary>
    /// A port nothing listens on now, and one this run has not handed out before: the OS may offer a port again as soon
    /// as its probe closes, before the server it was for has bound it (two servers once met on one port).
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hiroi.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Hiroi.Functions.sln).");
    }
}
