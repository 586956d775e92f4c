using Hiroi.Shared;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.SignIn;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The shared core (no HTTP) over real Azurite with its own table prefix and a controllable clock, for repository and
/// service tests.
/// </summary>
public sealed class HiroiServices : IDisposable
{
    private readonly ServiceProvider _provider;

    public HiroiServices(IDictionary<string, string?>? settings = null)
    {
        Prefix = TestStorage.NewPrefix();
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = TestStorage.ConnectionString,
            ["Hiroi:Storage:Prefix"] = Prefix,
            ["Hiroi:Privacy:SubjectKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<TimeProvider>(Time)
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddHiroiShared()
            .AddSignIn()
            .AddOrgs();
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public string Prefix { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public void Dispose() => _provider.Dispose();
}
