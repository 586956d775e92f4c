using System.Diagnostics;
using System.Text.Json.Nodes;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Deployment;

/// <summary>
/// bicep/main.bicep compiled to ARM JSON by the pinned Bicep CLI (the one bicep/lint.sh uses), once per test class.
/// <see cref="Fresh"/> hands each test its own copy to read or break.
/// </summary>
public sealed class CompiledTemplate : IAsyncLifetime
{
    private string _json = string.Empty;

    public JsonObject Fresh() => JsonNode.Parse(_json)!.AsObject();

    public async Task InitializeAsync()
    {
        var bicepDir = Path.Combine(TestStorage.RepoRoot(), "bicep");
        var project = Path.Combine(bicepDir, "tools", "BicepCli.csproj");
        await RunAsync("dotnet", ["restore", project, "--nologo", "-v", "quiet"]);
        var bicep = (await RunAsync("dotnet", ["msbuild", project, "-nologo", "-getProperty:BicepPath"])).Trim().Replace('\\', '/');
        var output = Path.Combine(Path.GetTempPath(), $"hiroi-main-{Guid.NewGuid():N}.json");
        try
        {
            await RunAsync(bicep, ["build", Path.Combine(bicepDir, "main.bicep"), "--outfile", output]);
            _json = await File.ReadAllTextAsync(output);
        }
        finally
        {
            File.Delete(output);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<string> RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }
}
