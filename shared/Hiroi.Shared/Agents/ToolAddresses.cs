using System.Net;
using System.Net.Sockets;

namespace Hiroi.Shared.Agents;

/// <summary>
/// The connect guard refused the address a tool's host resolved to. Reported to the model and the audit trail as a
/// refusal, and never retried or counted against the host's circuit breaker as if the server were down.
/// </summary>
public sealed class ToolAddressRefusedException(string host)
    : Exception($"Tools may not call {host}: it resolves to a private or reserved address.")
{
    /// <summary>Whether <paramref name="exception"/> is, or wraps, a refusal (the handler wraps what its connect callback throws).</summary>
    public static bool IsIn(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is ToolAddressRefusedException)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Which addresses a tool may connect to: the public internet, and nothing of the platform's own network or of anyone's
/// special-purpose ranges. IPv6 must be global unicast (2000::/3) outside the ranges that embed or translate IPv4
/// (6to4, Teredo; NAT64, IPv4-compatible and SIIT lie outside 2000::/3), so no IPv6 form reaches a refused IPv4 address;
/// an IPv4-mapped address is judged as the IPv4 address it is.
/// </summary>
public static class ToolAddresses
{
    private static readonly (byte[] Network, int Bits)[] RefusedV4 = Ranges(
        ("0.0.0.0", 8), ("10.0.0.0", 8), ("100.64.0.0", 10), ("127.0.0.0", 8), ("169.254.0.0", 16), ("172.16.0.0", 12),
        ("192.0.0.0", 24), ("192.0.2.0", 24), ("192.88.99.0", 24), ("192.168.0.0", 16), ("198.18.0.0", 15), ("198.51.100.0", 24),
        ("203.0.113.0", 24), ("224.0.0.0", 3), // multicast, reserved and broadcast
        ("168.63.129.16", 32)); // Azure's host endpoint: DHCP, DNS, health probes, the VM agent

    private static readonly (byte[] Network, int Bits)[] GlobalV6 = Ranges(("2000::", 3));

    private static readonly (byte[] Network, int Bits)[] RefusedV6 = Ranges(
        ("2001::", 23), // IETF protocol assignments: Teredo (2001::/32, embeds IPv4), benchmarking, ORCHID
        ("2001:db8::", 32), ("3fff::", 20), // documentation
        ("2002::", 16)); // 6to4: embeds IPv4

    /// <summary>Whether a tool may connect to <paramref name="address"/>.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => !In(bytes, RefusedV4),
            AddressFamily.InterNetworkV6 => In(bytes, GlobalV6) && !In(bytes, RefusedV6),
            _ => false,
        };
    }

    private static bool In(byte[] address, (byte[] Network, int Bits)[] ranges) =>
        ranges.Any(range => range.Network.Length == address.Length && SharesPrefix(address, range.Network, range.Bits));

    private static bool SharesPrefix(byte[] address, byte[] network, int bits)
    {
        var whole = bits / 8;
        if (!address.AsSpan(0, whole).SequenceEqual(network.AsSpan(0, whole)))
        {
            return false;
        }

        var rest = bits % 8;
        var mask = (byte)(0xFF << (8 - rest));
        return rest == 0 || (address[whole] & mask) == (network[whole] & mask);
    }

    private static (byte[] Network, int Bits)[] Ranges(params (string Network, int Bits)[] ranges) =>
        [.. ranges.Select(r => (IPAddress.Parse(r.Network).GetAddressBytes(), r.Bits))];
}
