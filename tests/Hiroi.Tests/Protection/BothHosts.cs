using Hiroi.Shared.Orgs;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Protection;

/// <summary>The self-host and the Functions app side by side, so a protection test runs the same requests on each.</summary>
public sealed class BothHosts : IAsyncLifetime
{
    public HiroiApp SelfHost { get; } = new();

    public FunctionsFixture Functions { get; } = new();

    public Task InitializeAsync() => Functions.InitializeAsync();

    public async Task DisposeAsync()
    {
        await Functions.DisposeAsync();
        await SelfHost.DisposeAsync();
    }

    public HttpClient Client(string host, string? apiKey = null) => (host, apiKey) switch
    {
        ("self", null) => SelfHost.CreateClient(),
        ("self", _) => SelfHost.ClientWithKey(apiKey),
        ("functions", null) => Functions.App.CreateClient(),
        ("functions", _) => Functions.App.ClientWithKey(apiKey),
        _ => throw new ArgumentOutOfRangeException(nameof(host)),
    };

    public Task<CreatedOrganization> CreateOrgAsync(string host, string name = "Acme") =>
        host == "self" ? SelfHost.CreateOrgAsync(name) : Functions.App.CreateOrgAsync(name);
}
