using System.Diagnostics;
using System.Text;
using Hiroi.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Hiroi.Tests.Load;

/// <summary>
/// Every load run and the BenchmarkDotNet suite, in the seconds-long form each script takes with <c>--smoke</c> (tiny
/// counts; the benchmarks once each, in process), over the suite's own Azurite, so none breaks unnoticed. Their figures
/// mean nothing here; a failure, a refusal the run did not expect or a hang does.
/// </summary>
[Lane(Lanes.Slow)]
public sealed class LoadSmokeTests(ITestOutputHelper output)
{
    /// <summary>Each script and a line its report must hold.</summary>
    public static TheoryData<string, string> Runs => new()
    {
        { "bench.sh", "executed benchmarks: 8" },
        { "bench-campaign.sh", "durable engine (orchestrated):" },
        { "bench-retention.sh", "retention sweep   :" },
        { "bench-webhook.sh", "webhook events               :" },
        { "bench-widget.sh", "failures        : 0" },
        { "bench-limits.sh", "== below the limits" },
        { "bench-calls.sh", "failed calls    : 0" },
        { "bench-realtime.sh", "v2v: last voiced caller frame" },
        { "chaos.sh", "campaign               30 contacts" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task A_load_run_still_runs_in_its_smoke_form(string script, string expected)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestStorage.RepoRoot() };
        foreach (var argument in new[] { Path.Combine("scripts", script), "--smoke", "--no-build" })
        {
            start.ArgumentList.Add(argument);
        }

        // Over the suite's Azurite, from the build this test runs in (./test built it).
        start.Environment["HIROI_TEST_STORAGE"] = TestStorage.ConnectionString;
        start.Environment["HIROI_BENCH_CONFIGURATION"] = configuration;
        var report = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var run = Process.Start(start)!;
        run.OutputDataReceived += (_, e) => Append(report, e.Data);
        run.ErrorDataReceived += (_, e) => Append(report, e.Data);
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        try
        {
            // A hang fails the test: the ceiling is generous (a busy machine), never a measure of speed.
            await run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            run.Kill(entireProcessTree: true);
            throw;
        }
        finally
        {
            output.WriteLine($"{script} --smoke: {clock.Elapsed.TotalSeconds:0.0} s\n{report}");
        }

        run.WaitForExit(); // the last lines of its output
        Assert.True(run.ExitCode == 0, $"{script} --smoke exited with {run.ExitCode}:\n{report}");
        Assert.Contains(expected, report.ToString(), StringComparison.Ordinal);
    }

    private static void Append(StringBuilder report, string? line)
    {
        if (line is not null)
        {
            lock (report)
            {
                report.AppendLine(line);
            }
        }
    }
}
