using System.ComponentModel.DataAnnotations;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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

    /// <summary>
    /// How long one command may take before Redis counts as down (connect attempts get four times as long). Short on
    /// purpose: a request that needs a count falls back to the instance's own count rather than wait.
    /// </summary>
    [Range(50, 10_000)]
    public int TimeoutMilliseconds { get; set; } = 1000;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Connection);

    /// <summary>Whether the host's settings name a Redis server (counters and revocations are then shared through it).</summary>
    public static bool IsConfiguredIn(IServiceProvider services) =>
        services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RedisOptions>>().Value.IsConfigured;
}

/// <summary>
/// One multiplexer per process, made on first use, and whether Redis answers (<see cref="Availability"/>). It does not
/// fail when Redis is down at start: it keeps reconnecting. Commands fail fast while there is no connection (no backlog)
/// and time out after <see cref="RedisOptions.TimeoutMilliseconds"/>; once one has failed, <see cref="RunAsync{T}"/>
/// refuses at once (no request waits for a timeout) until a probe gets an answer again.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _multiplexer;

    public RedisConnection(IOptions<RedisOptions> options, ILogger<RedisConnection>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        Availability = new RedisAvailability(logger ?? NullLogger<RedisConnection>.Instance);
        _multiplexer = new(() =>
        {
            var configuration = ConfigurationOptions.Parse(settings.Connection ?? throw new InvalidOperationException("Hiroi:Redis:Connection is not set."));
            configuration.AbortOnConnectFail = false;
            configuration.ClientName = "hiroi";
            configuration.BacklogPolicy = BacklogPolicy.FailFast; // no connection: fail now, not after a timeout
            configuration.SyncTimeout = configuration.AsyncTimeout = settings.TimeoutMilliseconds;
            configuration.ConnectTimeout = settings.TimeoutMilliseconds * 4;
            configuration.ReconnectRetryPolicy = new LinearRetry(settings.TimeoutMilliseconds); // back within a heartbeat or two of Redis
            var multiplexer = ConnectionMultiplexer.Connect(configuration);
            multiplexer.ConnectionFailed += (_, failed) => Availability.Lost(failed.Exception);
            Availability.StartProbing(multiplexer, TimeSpan.FromMilliseconds(settings.TimeoutMilliseconds));
            return multiplexer;
        });
    }

    public IConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public IDatabase Database => Multiplexer.GetDatabase();

    /// <summary>Whether Redis answers now, and the outages so far.</summary>
    public RedisAvailability Availability { get; }

    /// <summary>
    /// Runs a command unless Redis is known to be down, in which case it throws <see cref="DependencyUnavailableException"/>
    /// at once; a command that fails for want of Redis marks it down (and is thrown as that exception too).
    /// </summary>
    public async Task<T> RunAsync<T>(Func<IConnectionMultiplexer, Task<T>> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!Availability.IsUp)
        {
            throw new DependencyUnavailableException("Redis is unreachable (marked down until a probe answers).", new TimeoutException("No command was sent."));
        }

        try
        {
            return await command(Multiplexer).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            Availability.Lost(e);
            throw new DependencyUnavailableException("Redis is unreachable.", e);
        }
    }

    public void Dispose()
    {
        Availability.Dispose();
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }
}
