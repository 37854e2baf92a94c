using System.Net;

namespace NotebookGateway.Egress.Policies;

/// <summary>
/// A named allowlist: which host names and literal addresses a kernel may reach through the proxy, and its per-kernel
/// limits. Names are checked before resolution; every address connected to is checked again (public, or listed
/// itself), so a listed name that resolves to a private address is refused.
/// </summary>
public sealed record EgressPolicy
{
    /// <summary>The policy name that means "no network at all" (the default).</summary>
    public const string None = "none";

    public required string Name { get; init; }

    public required IReadOnlyList<EgressDestination> Destinations { get; init; }

    /// <summary>Ports an entry without a port allows.</summary>
    public required IReadOnlyCollection<int> DefaultPorts { get; init; }

    public required EgressLimits Limits { get; init; }

    /// <summary>Whether the name (or literal address) and port requested are on the list.</summary>
    public bool AllowsTarget(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (TryParseLiteral(host) is { } literal)
        {
            return AllowsListedAddress(literal, port);
        }

        var name = host.TrimEnd('.').ToLowerInvariant();
        return Destinations.Any(d => d.MatchesName(name) && d.AllowsPort(port, DefaultPorts));
    }

    /// <summary>Whether the address (as connected to) may be used: public, or itself on the list for this port.</summary>
    public bool AllowsConnect(IPAddress address, int port) => AddressRanges.IsPublic(address) || AllowsListedAddress(address, port);

    /// <summary>The list as shown to the kernel: entries separated by commas.</summary>
    public string Describe() => string.Join(",", Destinations.Select(d => d.Text));

    /// <summary>A literal IPv4 or IPv6 address in a request target (<c>[::1]</c> too), or null for a name.</summary>
    public static IPAddress? TryParseLiteral(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var text = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return (text.Contains(':', StringComparison.Ordinal) || text.Count(c => c == '.') == 3) && IPAddress.TryParse(text, out var address)
            ? AddressRanges.Normalize(address)
            : null;
    }

    private bool AllowsListedAddress(IPAddress address, int port) =>
        Destinations.Any(d => d.MatchesAddress(address) && d.AllowsPort(port, DefaultPorts));
}

/// <summary>Per-kernel limits of a policy (each run of a kernel starts afresh).</summary>
public sealed record EgressLimits
{
    public required int MaxConnections { get; init; }

    public required int ConnectionsPerMinute { get; init; }

    public required long MaxBytesUp { get; init; }

    public required long MaxBytesDown { get; init; }
}
