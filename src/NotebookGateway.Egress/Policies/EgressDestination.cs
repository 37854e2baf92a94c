using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace NotebookGateway.Egress.Policies;

/// <summary>
/// One entry of a policy's list: a host name (<c>pypi.org</c>), a suffix (<c>*.pythonhosted.org</c>: any name below
/// it, not the suffix itself) or a literal address (<c>127.0.0.1</c>, <c>[::1]</c>), each optionally with a port
/// (<c>:443</c>). Without a port the policy's default ports apply.
/// </summary>
public sealed partial record EgressDestination
{
    /// <summary>Lower-case host name or suffix (without <c>*.</c>); null for an address.</summary>
    public string? HostName { get; init; }

    /// <summary>The entry was <c>*.suffix</c>.</summary>
    public bool IsSuffix { get; init; }

    public IPAddress? Address { get; init; }

    public int? Port { get; init; }

    /// <summary>The entry as written in the configuration (normalised), also what the kernel is shown.</summary>
    public required string Text { get; init; }

    /// <summary>Parses one entry; null with <paramref name="error"/> when it is not one.</summary>
    public static EgressDestination? TryParse(string? entry, out string? error)
    {
        error = null;
        var text = entry?.Trim() ?? "";
        if (text.Length is 0 or > 300)
        {
            error = "an entry must be 1-300 characters";
            return null;
        }

        string hostPart = text;
        int? port = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}': unclosed '['";
                return null;
            }

            hostPart = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (rest[0] != ':' || !TryPort(rest[1..], out port)))
            {
                error = $"'{text}': expected ':port' after ']'";
                return null;
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (!TryPort(text[(colon + 1)..], out port))
            {
                error = $"'{text}': the port must be 1-65535";
                return null;
            }

            hostPart = text[..colon];
        }

        if (IPAddress.TryParse(hostPart, out var address) && (hostPart.Contains(':', StringComparison.Ordinal) || hostPart.Count(c => c == '.') == 3))
        {
            address = AddressRanges.Normalize(address);
            var shown = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            return new EgressDestination { Address = address, Port = port, Text = port is { } p ? $"{shown}:{p}" : shown };
        }

        var isSuffix = hostPart.StartsWith("*.", StringComparison.Ordinal);
        var name = (isSuffix ? hostPart[2..] : hostPart).TrimEnd('.').ToLowerInvariant();
        if (!HostNamePattern().IsMatch(name))
        {
            error = $"'{text}' is not a host name, *.suffix or address";
            return null;
        }

        var written = (isSuffix ? "*." : "") + name;
        return new EgressDestination { HostName = name, IsSuffix = isSuffix, Port = port, Text = port is { } q ? $"{written}:{q}" : written };
    }

    /// <summary>Whether <paramref name="host"/> (lower-case, no trailing dot) is this name or below this suffix.</summary>
    public bool MatchesName(string host) =>
        HostName is { } name && (IsSuffix
            ? host.Length > name.Length + 1 && host.EndsWith(name, StringComparison.Ordinal) && host[^(name.Length + 1)] == '.'
            : string.Equals(host, name, StringComparison.Ordinal));

    /// <summary>Whether the connect target <paramref name="address"/> is this literal address.</summary>
    public bool MatchesAddress(IPAddress address) => Address is { } mine && mine.Equals(AddressRanges.Normalize(address));

    public bool AllowsPort(int port, IReadOnlyCollection<int> defaultPorts) => Port is { } p ? p == port : defaultPorts.Contains(port);

    private static bool TryPort(string text, out int? port)
    {
        port = null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= 65535)
        {
            port = value;
            return true;
        }

        return false;
    }

    // Labels of letters, digits and '-', not starting or ending with '-'; at least one dot is not required (localhost).
    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")]
    private static partial Regex HostNamePattern();
}
