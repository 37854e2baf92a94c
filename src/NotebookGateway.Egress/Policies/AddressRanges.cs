using System.Net;
using System.Net.Sockets;

namespace NotebookGateway.Egress.Policies;

/// <summary>
/// Which addresses count as public. Everything else (loopback, private, carrier-grade NAT, link-local with the cloud
/// metadata service 169.254.169.254, multicast, documentation, benchmarking and reserved ranges, IPv6 unique-local,
/// site-local, 6to4/Teredo/NAT64 tunnels that could embed any of those) is refused unless a policy lists the literal
/// address itself.
/// </summary>
public static class AddressRanges
{
    private static readonly (IPAddress Network, int Prefix)[] NonPublic4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8),
        (IPAddress.Parse("10.0.0.0"), 8),
        (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8),
        (IPAddress.Parse("169.254.0.0"), 16),
        (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24),
        (IPAddress.Parse("192.0.2.0"), 24),
        (IPAddress.Parse("192.88.99.0"), 24),
        (IPAddress.Parse("192.168.0.0"), 16),
        (IPAddress.Parse("198.18.0.0"), 15),
        (IPAddress.Parse("198.51.100.0"), 24),
        (IPAddress.Parse("203.0.113.0"), 24),
        (IPAddress.Parse("224.0.0.0"), 4),
        (IPAddress.Parse("240.0.0.0"), 4),
    ];

    private static readonly (IPAddress Network, int Prefix)[] NonPublic6 =
    [
        (IPAddress.Parse("::"), 96),          // unspecified, loopback and the deprecated IPv4-compatible form
        (IPAddress.Parse("64:ff9b::"), 96),   // NAT64: could reach any IPv4 address
        (IPAddress.Parse("64:ff9b:1::"), 48),
        (IPAddress.Parse("100::"), 64),       // discard
        (IPAddress.Parse("2001::"), 23),      // IETF protocol assignments, Teredo included
        (IPAddress.Parse("2001:db8::"), 32),  // documentation
        (IPAddress.Parse("2002::"), 16),      // 6to4: embeds an IPv4 address
        (IPAddress.Parse("3fff::"), 20),      // documentation
        (IPAddress.Parse("5f00::"), 16),      // segment routing
        (IPAddress.Parse("fc00::"), 7),       // unique local
        (IPAddress.Parse("fe80::"), 10),      // link-local
        (IPAddress.Parse("fec0::"), 10),      // site-local (deprecated)
        (IPAddress.Parse("ff00::"), 8),       // multicast
    ];

    /// <summary>True for a globally routable unicast address; IPv4-mapped IPv6 is judged as the IPv4 address.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = Normalize(address);
        var ranges = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => NonPublic4,
            AddressFamily.InterNetworkV6 => NonPublic6,
            _ => null,
        };
        return ranges is not null && !ranges.Any(r => InPrefix(address, r.Network, r.Prefix));
    }

    /// <summary>IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>) as IPv4, and no scope id; otherwise unchanged.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }

    private static bool InPrefix(IPAddress address, IPAddress network, int prefix)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        if (address.AddressFamily != network.AddressFamily || !address.TryWriteBytes(a, out var length) || !network.TryWriteBytes(n, out _))
        {
            return false;
        }

        var fullBytes = prefix / 8;
        if (!a[..fullBytes].SequenceEqual(n[..fullBytes]))
        {
            return false;
        }

        var remainder = prefix % 8;
        if (remainder == 0 || fullBytes >= length)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - remainder));
        return (a[fullBytes] & mask) == (n[fullBytes] & mask);
    }
}
