using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>
/// The HttpClient agent tools call through: no redirects (a tool reaches the host its URL names, nowhere else), no proxy,
/// no cookies, and a connect guard that refuses the platform's own network (private, loopback, link-local and metadata
/// addresses), checked on the address actually dialled so DNS cannot be used to get round it. Loopback is allowed
/// only with <see cref="AiOptions.AllowLoopbackTools"/>. Retries (transient failures, safe methods only) and the total
/// timeout come from the standard resilience pipeline.
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
        var allowed = addresses.Where(a => IsPublic(a) || (allowLoopback && IPAddress.IsLoopback(a))).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"Tools may not call {endpoint.Host}: it resolves to a private or reserved address.");
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

    /// <summary>Whether an address is on the public internet (not private, loopback, link-local, CGNAT, multicast or unspecified).</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 || b[0] >= 224
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] is >= 16 and <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 100 && b[1] is >= 64 and <= 127)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && b[1] is 18 or 19));
        }

        var bytes = address.GetAddressBytes();
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal
            || (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8)); // documentation range
    }
}
