using System.CommandLine;
using System.Text.Json;
using Hiroi.Durable.Workflows;
using Hiroi.Endpoints.Hosting;
using Hiroi.Endpoints.Telemetry;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Text;

namespace Hiroi.Server.Cli;

/// <summary>
/// Local administration commands run through the server project:
/// <c>dotnet run --project functions/Hiroi.Server -- org create "Acme" --owner you@example.com [--json]</c>.
/// They use the same settings and storage as the server. <c>routes --emit-functions &lt;path&gt;</c> writes the Functions
/// app's adapters from the route table (<see cref="FunctionsSource"/>).
/// </summary>
public static class HiroiCli
{
    public static bool Handles(string[] args) => args is ["org", ..] or ["routes", ..];

    public static async Task<int> RunAsync(
        string[] args, TextWriter output, TextWriter error, Action<IConfigurationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var name = new Argument<string>("name") { Description = "The organization's display name." };
        var owner = new Option<string>("--owner") { Description = "The first owner's email address.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with orgId and apiKey." };
        var create = new Command("create", "Create an organization with an owner and print the owner's API key once.") { name, owner, json };
        create.SetAction((result, ct) => CreateOrgAsync(
            result.GetRequiredValue(name), result.GetRequiredValue(owner), result.GetValue(json), output, error, configure, ct));
        var emit = new Option<FileInfo>("--emit-functions") { Description = "Write the Functions app's HTTP and workflow functions to this file." };
        var routes = new Command("routes", "Print the route table, or write the Functions app's adapters from it.") { emit };
        routes.SetAction((result, ct) => RoutesAsync(result.GetValue(emit), output, configure));
        var root = new RootCommand("Hiroi local administration.") { new Command("org", "Organizations.") { create }, routes };
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private static async Task<int> CreateOrgAsync(
        string name, string ownerEmail, bool asJson, TextWriter output, TextWriter error, Action<IConfigurationBuilder>? configure, CancellationToken ct)
    {
        if (!DisplayText.TryClean(name, OrganizationService.MaxNameLength, out name))
        {
            await error.WriteLineAsync($"The name must be 1 to {OrganizationService.MaxNameLength} printable characters.");
            return 2;
        }

        if (!MemberEmails.TryNormalize(ownerEmail, out var email))
        {
            await error.WriteLineAsync("--owner must be an email address.");
            return 2;
        }

        using var host = BuildHost(configure);
        var created = await host.Services.GetRequiredService<OrganizationService>().CreateAsync(name, email, ct);
        if (asJson)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { orgId = created.OrgId.Value, apiKey = created.OwnerApiKey }));
            return 0;
        }

        await output.WriteLineAsync($"Organization: {created.OrgId.Value}");
        await output.WriteLineAsync($"Owner API key (shown once, store it now): {created.OwnerApiKey}");
        await output.WriteLineAsync($"Try it: curl -H \"Authorization: Bearer {created.OwnerApiKey}\" http://localhost:7071/api/orgs/current");
        return 0;
    }

    private static async Task<int> RoutesAsync(FileInfo? emit, TextWriter output, Action<IConfigurationBuilder>? configure)
    {
        var routes = await ReadRoutesAsync(configure);
        if (emit is null)
        {
            foreach (var route in routes.OrderBy(r => r.Route, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal))
            {
                await output.WriteLineAsync($"{string.Join(",", route.Methods),-7} /{route.Route} {route.Name}");
            }

            return 0;
        }

        var source = FunctionsSource.Render(routes, HiroiWorkflows.Orchestrators, HiroiWorkflows.Activities);
        emit.Directory?.Create();
        await File.WriteAllTextAsync(emit.FullName, source, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await output.WriteLineAsync(
            $"Wrote {routes.Count} HTTP functions and {HiroiWorkflows.Orchestrators.Count + HiroiWorkflows.Activities.Count} workflow functions to {emit.FullName}.");
        return 0;
    }

    /// <summary>The self-host's route table (<see cref="HiroiHostingExtensions.MapHiroi"/>), read from an app that is built and never started.</summary>
    private static async Task<IReadOnlyList<HttpRoute>> ReadRoutesAsync(Action<IConfigurationBuilder>? configure)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        configure?.Invoke(builder.Configuration);
        builder.Logging.ClearProviders();
        builder.Services.AddHiroiCore(builder.Configuration);
        await using var app = builder.Build();
        app.MapHiroi();
        return HttpRoute.Of(((IEndpointRouteBuilder)app).DataSources.SelectMany(s => s.Endpoints));
    }

    private static IHost BuildHost(Action<IConfigurationBuilder>? configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddLocalSettings(builder.Environment.ContentRootPath);
        configure?.Invoke(builder.Configuration);
        builder.Logging.ClearProviders().AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddHiroiShared().AddSignIn().AddOrgs().AddLogRedaction();
        return builder.Build();
    }
}
