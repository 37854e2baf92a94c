namespace NotebookGateway.Jupyter.Wire;

/// <summary>Bounds on what the codec accepts from a peer.</summary>
public sealed record WireLimits
{
    /// <summary>Routing identities before the delimiter (a ROUTER adds one per hop).</summary>
    public int MaxIdentities { get; init; } = 16;

    /// <summary>Binary buffers after the content frame.</summary>
    public int MaxBuffers { get; init; } = 64;

    /// <summary>All frames together. Also set as ZMQ_MAXMSGSIZE on kernel sockets, so libzmq drops larger ones before we allocate.</summary>
    public long MaxMessageBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Recent signatures remembered to refuse replays (jupyter_client keeps 2^16).</summary>
    public int SignatureHistory { get; init; } = 1 << 16;
}
