namespace NotebookGateway.Egress.Options;

/// <summary>One policy of <c>Egress:Policies</c>: its list, and limits that replace the section's defaults.</summary>
public sealed class EgressPolicyOptions
{
    /// <summary>Host names, <c>*.suffix</c>es and literal addresses, each optionally with <c>:port</c>.</summary>
    public List<string> Destinations { get; set; } = [];

    /// <summary>Ports allowed for an entry without a port; null: <see cref="EgressOptions.DefaultPorts"/>.</summary>
    public List<int>? DefaultPorts { get; set; }

    public int? MaxConnections { get; set; }

    public int? ConnectionsPerMinute { get; set; }

    public long? MaxBytesUp { get; set; }

    public long? MaxBytesDown { get; set; }
}
