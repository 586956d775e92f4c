using System.Text.RegularExpressions;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Deployment;

/// <summary>
/// The self-host's Dockerfile, read as text (no container engine runs here): its final stage runs as a non-root user
/// and exposes only the port the app listens on, the one Container Apps routes to.
/// </summary>
[Lane(Lanes.Unit)]
public class DockerfileTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(TestStorage.RepoRoot(), "functions", "Hiroi.Server", "Dockerfile"));

    /// <summary>What breaks the rules in the final stage of <paramref name="dockerfile"/>.</summary>
    public static List<string> Violations(string dockerfile, int appPort)
    {
        var lines = dockerfile.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var final = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.OrdinalIgnoreCase))).ToList();
        var violations = new List<string>();

        var user = final.LastOrDefault(l => l.StartsWith("USER ", StringComparison.OrdinalIgnoreCase))?[5..].Trim();
        if (user is null or "root" or "0" or "0:0" or "root:root")
        {
            violations.Add($"the final stage runs as {user ?? "root (no USER)"}");
        }

        var exposed = final.Where(l => l.StartsWith("EXPOSE ", StringComparison.OrdinalIgnoreCase))
            .SelectMany(l => l[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (exposed.Count != 1 || exposed[0] != appPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            violations.Add($"exposes [{string.Join(", ", exposed)}], not only {appPort}");
        }

        var listens = Regex.Match(string.Join('\n', final), @"ASPNETCORE_HTTP_PORTS=(\d+)");
        if (!listens.Success || listens.Groups[1].Value != appPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            violations.Add($"the app does not listen on {appPort}");
        }

        return violations;
    }

    [Fact]
    public void The_self_host_image_runs_as_non_root_and_exposes_only_the_app_port()
    {
        Assert.Empty(Violations(Dockerfile, 8080));
        Assert.Contains("USER $APP_UID", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void Running_as_root_or_exposing_another_port_is_caught()
    {
        var asRoot = Dockerfile.Replace("USER $APP_UID", "USER root", StringComparison.Ordinal);
        var noUser = Dockerfile.Replace("USER $APP_UID", string.Empty, StringComparison.Ordinal);
        var debugPort = Dockerfile.Replace("EXPOSE 8080", "EXPOSE 8080 22", StringComparison.Ordinal);

        Assert.Contains(Violations(asRoot, 8080), v => v.Contains("runs as root", StringComparison.Ordinal));
        Assert.Contains(Violations(noUser, 8080), v => v.Contains("no USER", StringComparison.Ordinal));
        Assert.Contains(Violations(debugPort, 8080), v => v.Contains("not only 8080", StringComparison.Ordinal));
    }
}
