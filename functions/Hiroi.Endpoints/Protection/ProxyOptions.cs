using System.Net;
using Hiroi.Shared.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace Hiroi.Endpoints.Protection;

/// <summary>
/// Section <c>Hiroi:Proxies</c>: the proxies whose <c>X-Forwarded-For</c>/<c>-Proto</c> are believed, so rate limits and
/// failure counts see the real client behind a CDN or ingress. Loopback is always trusted (the Functions host forwards
/// to its worker over loopback, after the platform's front end has appended the client); nothing else is by default,
/// so a client cannot pick its own address by sending the header.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Hiroi:Proxies";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.4</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR form, e.g. <c>10.0.0.0/16</c> for a Container Apps environment's subnet.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>How many proxies deep to believe the header (one: the last hop in front of us).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public void ApplyTo(ForwardedHeadersOptions forwarded)
    {
        ArgumentNullException.ThrowIfNull(forwarded);
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        forwarded.ForwardLimit = ForwardLimit;
        foreach (var proxy in KnownProxies.Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            forwarded.KnownProxies.Add(IPAddress.TryParse(proxy.Trim(), out var address)
                ? address
                : throw new Hiroi.Shared.Configuration.SettingException(Section + ":KnownProxies", "must be IP addresses"));
        }

        foreach (var network in KnownNetworks.Where(n => !string.IsNullOrWhiteSpace(n)))
        {
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network.Trim(), out var parsed)
                ? parsed
                : throw new Hiroi.Shared.Configuration.SettingException(Section + ":KnownNetworks", "must be CIDR networks such as 10.0.0.0/16"));
        }
    }
}
