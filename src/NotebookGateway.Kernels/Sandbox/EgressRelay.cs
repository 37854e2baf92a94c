using System.Globalization;
using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// How a kernel with a network policy reaches the gateway's egress proxy without any interface but <c>lo</c>: the
/// proxy's Unix socket is bind-mounted read-only at <see cref="SocketPath"/> (the sandbox can connect to it but not
/// replace it), and the gateway itself listens on <c>127.0.0.1:</c><see cref="Port"/> inside the container's network
/// namespace (a socket made there with setns as soon as the container runs, before the kernel is connected), so a
/// connection there reaches the proxy with no relay in between. <c>HTTP_PROXY</c>/<c>HTTPS_PROXY</c> point there, so
/// pip, curl, urllib, R and npm use it unchanged.
/// </summary>
public static class EgressRelay
{
    /// <summary>The proxy's socket inside the sandbox.</summary>
    public const string SocketPath = "/kernel/egress.sock";

    /// <summary>The proxy's loopback port inside the sandbox (squid's customary port, in the container's own namespace).</summary>
    public const int Port = 3128;

    /// <summary>Variables the gateway sets for a kernel with a policy; a client's or spec's value of these is replaced.</summary>
    public static readonly IReadOnlySet<string> VariableNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
        "NBGW_NETWORK_POLICY", "NBGW_EGRESS_ALLOW",
    };

    public static string ProxyUrl { get; } = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}");

    /// <summary>The kernel's proxy variables and the policy it runs under (so a user can see why a host is refused).</summary>
    public static IReadOnlyList<string> Environment(EgressPolicy policy, string noProxy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return
        [
            "HTTP_PROXY=" + ProxyUrl,
            "HTTPS_PROXY=" + ProxyUrl,
            "http_proxy=" + ProxyUrl,
            "https_proxy=" + ProxyUrl,
            "NO_PROXY=" + noProxy,
            "no_proxy=" + noProxy,
            "NBGW_NETWORK_POLICY=" + policy.Name,
            "NBGW_EGRESS_ALLOW=" + policy.Describe(),
        ];
    }

    /// <summary>
    /// <paramref name="environment"/> without the variables the gateway decides (a client or spec cannot fake a policy
    /// or point the kernel elsewhere), then the gateway's; with no policy none are added, as before policies existed.
    /// </summary>
    public static IReadOnlyList<string> MergeEnvironment(IReadOnlyList<string> environment, EgressPolicy? policy, string noProxy)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var kept = environment.Where(e => !VariableNames.Contains(e.Split('=', 2)[0]));
        return policy is null ? [.. kept] : [.. kept, .. Environment(policy, noProxy)];
    }
}
