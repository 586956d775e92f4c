using BenchmarkDotNet.Attributes;
using Hiroi.Shared;
using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hiroi.Benchmarks;

/// <summary>
/// What an authenticated request pays for its API key: the cached path (SHA-256 of the key and a constant-time compare)
/// against the PBKDF2 derivation it avoids. The key is created in real Azurite.
/// </summary>
[MemoryDiagnoser]
public class ApiKeyVerificationBenchmarks
{
    private ServiceProvider _services = null!;
    private ApiKeyVerifier _verifier = null!;
    private string _key = string.Empty;
    private string _wrongKey = string.Empty;
    private StoredKeyHash _stored = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Environment.GetEnvironmentVariable("HIROI_BENCH_STORAGE") ?? "UseDevelopmentStorage=true",
            ["Hiroi:Storage:Prefix"] = "bench",
            ["Hiroi:ApiKeys:CacheSeconds"] = "600",
            ["Hiroi:ApiKeys:MaxFailuresPerKeyAndClient"] = "1000",
            ["Hiroi:ApiKeys:MaxFailuresPerClient"] = "10000",
        }).Build();
        _services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddHiroiShared()
            .BuildServiceProvider();
        var created = await _services.GetRequiredService<ApiKeyService>()
            .CreateAsync(Caller.System(OrgId.New(), "bench"), "bench", Role.Admin, CancellationToken.None);
        _key = created.PlainText;
        _wrongKey = _key[..^4] + (_key.EndsWith("0000", StringComparison.Ordinal) ? "1111" : "0000");
        _stored = created.Record.StoredHash;
        _verifier = _services.GetRequiredService<ApiKeyVerifier>();
        var first = await _verifier.VerifyAsync(_key, "127.0.0.1", CancellationToken.None);
        if (first.Outcome != ApiKeyOutcome.Accepted)
        {
            throw new InvalidOperationException("Setup key was not accepted.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "cached verification (accept)")]
    public Task<ApiKeyVerification> CachedAccept() => _verifier.VerifyAsync(_key, "127.0.0.1", CancellationToken.None);

    [Benchmark(Description = "cached verification (wrong secret)")]
    public Task<ApiKeyVerification> CachedReject() => _verifier.VerifyAsync(_wrongKey, "127.0.0.1", CancellationToken.None);

    [Benchmark(Description = "PBKDF2-SHA256 600k (what the cache avoids)")]
    public bool Pbkdf2() => ApiKeyHasher.Verify(_key[^64..], _stored);
}
