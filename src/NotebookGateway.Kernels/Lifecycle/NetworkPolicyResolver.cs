using NotebookGateway.Egress.Policies;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// The network policy a new kernel runs under: the one the server decided, else the kernelspec's; only a policy the
/// operator defined in <c>Egress:Policies</c> (or <c>none</c>). Under gVisor a policy is refused unless the operator
/// declared that runsc may connect to host sockets (<c>Egress:AllowUnderGVisor</c>).
/// </summary>
public sealed class NetworkPolicyResolver(EgressProxy egress)
{
    /// <summary>The policy, or null for none.</summary>
    /// <exception cref="KernelLaunchException">The policy is not defined, or cannot work under the spec's runtime.</exception>
    public EgressPolicy? Resolve(KernelSpec spec, string? requested)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var name = requested ?? spec.Sandbox.NetworkPolicy;
        EgressPolicy? policy;
        try
        {
            policy = egress.Options.Resolve(name);
        }
        catch (KeyNotFoundException ex)
        {
            throw new KernelLaunchException($"Kernel spec {spec.Name}: {ex.Message}", ex);
        }

        if (policy is not null && spec.Sandbox.IsGVisor && !egress.Options.AllowUnderGVisor)
        {
            throw new KernelLaunchException(
                $"Kernel spec {spec.Name} runs under gVisor (runsc), which here may not connect to the gateway's egress socket, so network policy '{policy.Name}' "
                + "cannot be given to it. Register runsc with --host-uds=all (or open) and set Egress:AllowUnderGVisor, or use a runc spec.");
        }

        return policy;
    }
}
