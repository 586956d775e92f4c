using Azure.Data.Tables;
using BenchmarkDotNet.Attributes;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Benchmarks;

/// <summary>
/// What a request signed in by cookie pays, hot: the cookie's parse and SHA-256, then the session's one point read in
/// real Azurite with its timeout checks, against the bare point read of the same row (what storage costs anyway).
/// </summary>
[MemoryDiagnoser]
public class SessionVerificationBenchmarks
{
    private ServiceProvider _services = null!;
    private SignInSessionStore _sessions = null!;
    private TableClient _table = null!;
    private string _token = string.Empty;
    private string _hash = string.Empty;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        // A run lasts longer than the default idle timeout would allow between the setup and the last iteration.
        _services = BenchServices.Build(
            Environment.GetEnvironmentVariable("HIROI_BENCH_STORAGE") ?? "UseDevelopmentStorage=true", "bench",
            services => services.Configure<SignInOptions>(o => o.IdleTimeoutMinutes = 1440));
        _sessions = _services.GetRequiredService<SignInSessionStore>();
        var session = await _sessions.CreateAsync("acc_bench" + Guid.NewGuid().ToString("N")[..12], "link", false, null, "bench", CancellationToken.None);
        _token = session.Token;
        _hash = session.Hash;
        _table = await _services.GetRequiredService<HiroiTables>().GetAsync(TableNames.SignInSessions);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Description = "cookie parse + SHA-256")]
    public string? HashCookie() => SessionTokens.Hash(_token);

    [Benchmark(Baseline = true, Description = "bare point read of the session row")]
    public async Task<bool> BarePointRead() =>
        (await _table.GetEntityIfExistsAsync<SignInSessionEntity>(_hash, SignInSessionEntity.RowKeyValue)).HasValue;

    [Benchmark(Description = "session verification (hot)")]
    public Task<ActiveSession?> Verify() => _sessions.FindAsync(_token, CancellationToken.None);
}
