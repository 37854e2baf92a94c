using NotebookGateway.Egress.Policies;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Server.Access;

public sealed partial class KernelSpecAccess
{
    /// <summary>
    /// The network policy <paramref name="user"/>'s kernels of <paramref name="spec"/> run under: the user's entry in
    /// <c>Egress:Users</c> (the spec's name, else <c>*</c>), else the first of the user's groups with an entry in
    /// <c>Egress:Groups</c>, else the spec's own. Only configuration decides it: nothing a client sends (environment,
    /// metadata, a session change) is read here, and every name it can return was validated as a defined policy.
    /// </summary>
    public string NetworkPolicyFor(string user, KernelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Lookup(_egress.Users.GetValueOrDefault(user), spec.Name) is { } own)
        {
            return own;
        }

        foreach (string group in GroupsOf(user))
        {
            if (Lookup(_egress.Groups.GetValueOrDefault(group), spec.Name) is { } byGroup)
            {
                return byGroup;
            }
        }

        return spec.Sandbox.NetworkPolicy;
    }

    /// <summary>The policy's list as the kernel and /api/kernelspecs show it (empty for <c>none</c>).</summary>
    public string NetworkPolicyDestinations(string policy) =>
        policy == EgressPolicy.None || !_egress.Policies.ContainsKey(policy) ? "" : _egress.Resolve(policy)!.Describe();

    private static string? Lookup(Dictionary<string, string>? bySpec, string spec) =>
        bySpec is null ? null : bySpec.GetValueOrDefault(spec) ?? bySpec.GetValueOrDefault(Wildcard);
}
