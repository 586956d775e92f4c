using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>
/// The HttpClient agent tools call through: no redirects (a tool reaches the host its URL names, nowhere else), no proxy,
/// no cookies, and a connect guard that refuses the platform's own network and special-purpose ranges
/// (<see cref="ToolAddresses"/>), checked on the address actually dialled so DNS cannot be used to get round it. Loopback
/// is allowed only with <see cref="AiOptions.AllowLoopbackTools"/>. Retries (transient failures, safe methods only) and
/// the total timeout come from the standard resilience pipeline; a refused address is neither retried nor counted by the
/// circuit breaker: it is the tool's definition, not its server, that is wrong.
/// </summary>
public static class ToolHttp
{
    public const string ClientName = "agent-tools";

    public static IServiceCollection AddToolHttp(this IServiceCollection services)
    {
        services.AddHttpClient(ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowLoopback = sp.GetRequiredService<IOptions<AiOptions>>().Value.AllowLoopbackTools;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    ConnectTimeout = TimeSpan.FromSeconds(5),
                    ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowLoopback, cancellationToken),
                };
            })
            // One pipeline (and circuit breaker) per host: one tenant's failing endpoint must not open the breaker for every org's tools.
            .AddStandardResilienceHandler()
            .SelectPipelineByAuthority()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                var timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<AiOptions>>().Value.ToolTimeoutSeconds);
                var transient = resilience.Retry.ShouldHandle;
                resilience.Retry.ShouldHandle = async args => !ToolAddressRefusedException.IsIn(args.Outcome.Exception) && await transient(args).ConfigureAwait(false);
                var failing = resilience.CircuitBreaker.ShouldHandle;
                resilience.CircuitBreaker.ShouldHandle = async args => !ToolAddressRefusedException.IsIn(args.Outcome.Exception) && await failing(args).ConfigureAwait(false);
                resilience.Retry.DisableForUnsafeHttpMethods(); // a POST that may have run is not sent twice
                resilience.Retry.MaxRetryAttempts = 1;
                resilience.AttemptTimeout.Timeout = timeout;
                resilience.TotalRequestTimeout.Timeout = timeout * 2 + TimeSpan.FromSeconds(1);
                resilience.CircuitBreaker.SamplingDuration = timeout * 2 + TimeSpan.FromSeconds(1);
            });
        return services;
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowLoopback, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        var allowed = addresses.Where(a => ToolAddresses.IsPublic(a) || (allowLoopback && IPAddress.IsLoopback(a))).ToArray();
        if (allowed.Length == 0)
        {
            throw new ToolAddressRefusedException(endpoint.Host);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Whether a tool may connect to an address (see <see cref="ToolAddresses"/>).</summary>
    public static bool IsPublic(IPAddress address) => ToolAddresses.IsPublic(address);
}
