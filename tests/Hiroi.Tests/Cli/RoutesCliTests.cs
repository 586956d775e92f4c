using Hiroi.Server.Cli;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Cli;

/// <summary>The command the stale-file test prescribes writes exactly the file that test expects, from an app it never starts.</summary>
[Lane(Lanes.Unit)]
public class RoutesCliTests
{
    private static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await HiroiCli.RunAsync(args, output, error);
        return (exit, output.ToString() + error);
    }

    [Fact]
    public async Task Emit_functions_writes_the_checked_in_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hiroi-functions-{Guid.NewGuid():N}", "Functions.g.cs");
        try
        {
            var (exit, output) = await RunAsync("routes", "--emit-functions", path);

            Assert.True(exit == 0, output);
            var checkedIn = await File.ReadAllTextAsync(Path.Combine(TestStorage.RepoRoot(), FunctionsSource.DefaultPath));
            Assert.Equal(checkedIn.ReplaceLineEndings("\n"), await File.ReadAllTextAsync(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task Routes_prints_the_route_table()
    {
        var (exit, output) = await RunAsync("routes");

        Assert.Equal(0, exit);
        Assert.Contains(output.Split('\n'), line => line.TrimEnd().EndsWith("/api/agents ListAgents", StringComparison.Ordinal)
            && line.StartsWith("GET", StringComparison.Ordinal));
    }
}
