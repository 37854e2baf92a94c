using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Egress.Options;

/// <summary>
/// The <c>Egress</c> section: the named allowlist policies an operator defines, which policy users and groups get
/// instead of a kernelspec's own (<c>metadata.notebookgateway.network_policy</c>), and the proxy's limits. A kernel
/// without a policy, or with <c>none</c>, has no network at all.
/// </summary>
public sealed class EgressOptions
{
    public const string SectionName = "Egress";

    /// <summary>Policy name → policy. <c>none</c> is built in and cannot be defined.</summary>
    public Dictionary<string, EgressPolicyOptions> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Group → (kernelspec name or <c>*</c> → policy name): replaces the spec's policy for members of the group.</summary>
    public Dictionary<string, Dictionary<string, string>> Groups { get; set; } = new(StringComparer.Ordinal);

    /// <summary>User → (kernelspec name or <c>*</c> → policy name): wins over groups and the spec.</summary>
    public Dictionary<string, Dictionary<string, string>> Users { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Ports an entry without a port allows.</summary>
    public List<int> DefaultPorts { get; set; } = [80, 443];

    /// <summary>Proxied connections one kernel may have open at once.</summary>
    public int MaxConnections { get; set; } = 32;

    /// <summary>New proxied connections one kernel may open per minute (a burst of as many, refilled evenly).</summary>
    public int ConnectionsPerMinute { get; set; } = 600;

    /// <summary>Bytes one kernel run may send through the proxy (request heads and bodies, TLS included).</summary>
    public long MaxBytesUp { get; set; } = 256L * 1024 * 1024;

    /// <summary>Bytes one kernel run may receive through the proxy.</summary>
    public long MaxBytesDown { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>How long a client has to send its request head (CONNECT or a plain HTTP request line and headers).</summary>
    public int RequestHeadTimeoutSeconds { get; set; } = 10;

    /// <summary>Largest request head accepted; beyond it the request gets 431.</summary>
    public int MaxRequestHeadBytes { get; set; } = 16 * 1024;

    /// <summary>Name resolution and TCP connect, each.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>A proxied connection with no bytes either way for this long is closed.</summary>
    public int IdleTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// Relay buffer per direction, rented from a pool only while bytes move (an idle connection holds none); large
    /// enough that a download runs near loopback speed.
    /// </summary>
    public int BufferBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Relay with splice(2): bytes go socket → pipe → socket inside the kernel without being copied through the
    /// gateway (the buffer is used only when a receiver is slow). Off: every byte is copied through the buffers.
    /// </summary>
    public bool ZeroCopy { get; set; } = true;

    /// <summary>
    /// <c>NO_PROXY</c> in the kernel: destinations programs reach directly (the container's own loopback services).
    /// </summary>
    public string NoProxy { get; set; } = "localhost,127.0.0.1,::1";

    /// <summary>
    /// gVisor's Sentry must be allowed to connect to host Unix sockets (<c>runsc --host-uds=open</c> or <c>all</c>) for
    /// the proxy socket to work; until the operator says so, a policy other than none is refused there at start.
    /// </summary>
    public bool AllowUnderGVisor { get; set; }

    /// <summary>The policy named <paramref name="name"/> with its limits resolved; null for <c>none</c>.</summary>
    /// <exception cref="KeyNotFoundException">No such policy.</exception>
    public EgressPolicy? Resolve(string? name)
    {
        if (name is null or EgressPolicy.None)
        {
            return null;
        }

        if (!Policies.TryGetValue(name, out var policy))
        {
            throw new KeyNotFoundException($"There is no network policy '{name}' (Egress:Policies).");
        }

        return new EgressPolicy
        {
            Name = name,
            Destinations = policy.Destinations.Select(d => EgressDestination.TryParse(d, out _)).OfType<EgressDestination>().ToList(),
            DefaultPorts = (policy.DefaultPorts ?? DefaultPorts).ToHashSet(),
            Limits = new EgressLimits
            {
                MaxConnections = policy.MaxConnections ?? MaxConnections,
                ConnectionsPerMinute = policy.ConnectionsPerMinute ?? ConnectionsPerMinute,
                MaxBytesUp = policy.MaxBytesUp ?? MaxBytesUp,
                MaxBytesDown = policy.MaxBytesDown ?? MaxBytesDown,
            },
        };
    }

    /// <summary>Whether <paramref name="name"/> is <c>none</c> or a defined policy.</summary>
    public bool IsDefined(string name) => name == EgressPolicy.None || Policies.ContainsKey(name);
}
