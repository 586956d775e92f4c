using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Hiroi.Endpoints.Auth;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RedisRateLimiting;

namespace Hiroi.Endpoints.Protection;

/// <summary>Section <c>Hiroi:RateLimits</c>: requests per minute, per partition.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Hiroi:RateLimits";

    public bool Enabled { get; set; } = true;

    /// <summary>Per API key (later: per session or user), over every route it calls.</summary>
    [Range(1, 1_000_000)]
    public int PerCredentialPerMinute { get; set; } = 600;

    /// <summary>Per client IP, for requests that carry no valid credential (health, a 401 in the making).</summary>
    [Range(1, 1_000_000)]
    public int AnonymousPerIpPerMinute { get; set; } = 60;

    /// <summary>Per sending IP, for the Event Grid webhook and call callbacks, which authenticate themselves and come in bursts.</summary>
    [Range(1, 1_000_000)]
    public int WebhookPerIpPerMinute { get; set; } = 6_000;
}

/// <summary>Marks an endpoint as a webhook (Event Grid, ACS callbacks): it is limited per sending IP at the webhook rate.</summary>
public sealed class WebhookRateLimitMetadata
{
    public static readonly WebhookRateLimitMetadata Instance = new();
}

/// <summary>Which bucket a request draws from, and that bucket's size per minute.</summary>
public readonly record struct RateLimitPartitionKey(string Kind, string Key, int PermitsPerMinute)
{
    public string Name => Kind + ":" + Key;
}

/// <summary>
/// Rate limits on every route through ASP.NET Core's rate limiter, in fixed one-minute windows: per credential once
/// authenticated, per client IP otherwise, per sending IP for webhooks. The counts live in Redis when it is configured
/// (every instance holds one limit together; while Redis is unreachable each instance holds it by itself), in the
/// process otherwise. A refusal is 429 problem details with
/// <c>Retry-After</c> and <c>RateLimit-Limit</c>/<c>-Remaining</c>/<c>-Reset</c>.
/// </summary>
public static class RateLimits
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const string PartitionItem = "hiroi.rateLimitPartition";

    public static IServiceCollection AddHiroiRateLimits(this IServiceCollection services)
    {
        services.AddSection<RateLimitOptions>(RateLimitOptions.Section);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IServiceProvider>((limiter, sp) =>
        {
            var options = sp.GetRequiredService<IOptions<RateLimitOptions>>().Value;
            var redis = RedisOptions.IsConfiguredIn(sp) ? sp.GetRequiredService<RedisConnection>() : null;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (!options.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter("off");
                }

                var partition = PartitionFor(context, options);
                context.Items[PartitionItem] = partition;
                return redis is null
                    ? RateLimitPartition.GetFixedWindowLimiter(partition.Name, _ => InProcess(partition))
                    : RateLimitPartition.Get(partition.Name, _ => new FallbackRateLimiter(
                        new RedisFixedWindowRateLimiter<string>("hiroi:rate:" + partition.Name, new RedisFixedWindowRateLimiterOptions
                        {
                            PermitLimit = partition.PermitsPerMinute, Window = Window, ConnectionMultiplexerFactory = () => redis.Multiplexer,
                        }),
                        new FixedWindowRateLimiter(InProcess(partition)),
                        redis.Availability));
            });
            limiter.OnRejected = RejectAsync;
        });
        return services;
    }

    private static FixedWindowRateLimiterOptions InProcess(RateLimitPartitionKey partition) =>
        new() { PermitLimit = partition.PermitsPerMinute, Window = Window, QueueLimit = 0, AutoReplenishment = true };

    public static RateLimitPartitionKey PartitionFor(HttpContext context, RateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (context.GetEndpoint()?.Metadata.GetMetadata<WebhookRateLimitMetadata>() is not null)
        {
            return new("webhook", ip, options.WebhookPerIpPerMinute);
        }

        var org = context.User.FindFirst(CallerClaims.OrgId)?.Value;
        var actor = context.User.FindFirst(CallerClaims.Actor)?.Value;
        return org is not null && actor is not null
            ? new("credential", org + "/" + actor, options.PerCredentialPerMinute)
            : new("ip", ip, options.AnonymousPerIpPerMinute);
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = RetryAfterSeconds(rejected.Lease);
        var headers = context.Response.Headers;
        headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        if (context.Items[PartitionItem] is RateLimitPartitionKey partition)
        {
            headers["RateLimit-Limit"] = partition.PermitsPerMinute.ToString(CultureInfo.InvariantCulture);
            headers["RateLimit-Remaining"] = "0";
            headers["RateLimit-Reset"] = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"The rate limit is reached; try again in {retryAfter} s.").ExecuteAsync(context);
    }

    /// <summary>Whole seconds until the window ends: the lease's own figure when it has one, else the rest of the minute.</summary>
    private static int RetryAfterSeconds(RateLimitLease lease)
    {
        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            return Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        }

        foreach (var (name, value) in lease.GetAllMetadata())
        {
            if (name.Contains("RETRY", StringComparison.OrdinalIgnoreCase))
            {
                switch (value)
                {
                    case TimeSpan span:
                        return Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));
                    case IConvertible number:
                        return Math.Max(1, number.ToInt32(CultureInfo.InvariantCulture));
                }
            }
        }

        return Math.Max(1, 60 - TimeProvider.System.GetUtcNow().Second);
    }
}
