using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hiroi.Shared.Redis;

/// <summary>Section <c>Hiroi:Redis</c>: the Redis shared by every instance for rate limits, failure counts and revocations.</summary>
public sealed class RedisOptions
{
    public const string Section = "Hiroi:Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string (<c>host:port[,ssl=true,...]</c>). Empty keeps limits and counters in
    /// each process, which is right for one instance and for tests that do not share a limit.
    /// </summary>
    public string? Connection { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Connection);

    /// <summary>Whether the host's settings name a Redis server (counters and revocations are then shared through it).</summary>
    public static bool IsConfiguredIn(IServiceProvider services) =>
        services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RedisOptions>>().Value.IsConfigured;
}

/// <summary>
/// One multiplexer per process, made on first use. It does not fail when Redis is down at start: it keeps reconnecting,
/// and commands fail (answered 503) until it is back.
/// </summary>
public sealed class RedisConnection(IOptions<RedisOptions> options) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _multiplexer = new(() =>
    {
        var configuration = ConfigurationOptions.Parse(options.Value.Connection ?? throw new InvalidOperationException("Hiroi:Redis:Connection is not set."));
        configuration.AbortOnConnectFail = false;
        configuration.ClientName = "hiroi";
        return ConnectionMultiplexer.Connect(configuration);
    });

    public IConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public IDatabase Database => Multiplexer.GetDatabase();

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }
}
