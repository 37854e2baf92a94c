using NotebookGateway.Egress.Policies;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// A kernel as the server sees it: an id that survives restarts, and the current run (one container, one key, one
/// socket directory). <see cref="Client"/> and <see cref="Connection"/> change on every restart; listen to
/// <see cref="SandboxKernelManager.KernelStateChanged"/> to follow them.
/// </summary>
public sealed class SandboxKernel
{
    internal SandboxKernel(string id, KernelSpec spec, IReadOnlyList<string> environment, DateTimeOffset createdAt, ContainerCgroup cgroup)
    {
        Id = id;
        Spec = spec;
        Environment = environment;
        CreatedAt = createdAt;
        Usage = new ContainerUsage(cgroup, () => ContainerId);
    }

    public string Id { get; }

    public KernelSpec Spec { get; }

    public SandboxEnvelope Envelope => Spec.Sandbox.Envelope;

    /// <summary>The network policy in force (fixed for the kernel's life, restarts included); null: none, no network.</summary>
    public EgressPolicy? NetworkPolicy { get; internal init; }

    /// <summary>The policy's name: <c>none</c> or an <c>Egress:Policies</c> entry.</summary>
    public string NetworkPolicyName => NetworkPolicy?.Name ?? EgressPolicy.None;

    /// <summary>The current run's egress proxy (bytes so far, open connections), or null.</summary>
    public EgressListener? Egress => Run?.Egress;

    /// <summary>The notebook session (workspace) the kernel runs in.</summary>
    public NotebookSession Session { get; internal set; } = null!;

    public SandboxKernelState State { get; internal set; } = SandboxKernelState.Starting;

    /// <summary>Why the kernel is <see cref="SandboxKernelState.Dead"/>, e.g. "memory limit of 512 MiB exceeded".</summary>
    public string? DeathReason { get; internal set; }

    /// <summary>What ended it when <see cref="SandboxKernelState.Dead"/>: <c>oom</c>, <c>exit</c> or <c>heartbeat</c> (<c>kernel_deaths{cause}</c>).</summary>
    public string? DeathCause { get; internal set; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>What the host keeps with the kernel in the state directory (e.g. the server's owner and culling clock).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; internal set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether the first run was a waiting sandbox from the pool (a warm start) rather than started for this kernel.</summary>
    public bool WarmStart { get; internal set; }

    /// <summary>Starts so far: 1 after the first start, +1 per restart.</summary>
    public int Generation { get; internal set; }

    /// <summary>How long the current run took from container create to kernel_info_reply.</summary>
    public TimeSpan? LastStartDuration => Run?.StartDuration;

    /// <summary>The client of the current run.</summary>
    /// <exception cref="InvalidOperationException">No running container (starting, restarting, dead or stopped).</exception>
    public KernelClient Client => Run?.Client ?? throw NotRunning();

    /// <summary>The gateway's own copy of the current run's connection (container-side paths, this run's key).</summary>
    public ConnectionInfo Connection => Run?.Connection ?? throw NotRunning();

    /// <summary>The current run's container, or null when there is none.</summary>
    public string? ContainerId => Run?.ContainerId;

    /// <summary>CPU, memory and pids-limit refusals of the current container, read from its cgroup.</summary>
    public ContainerUsage Usage { get; }

    internal IReadOnlyList<string> Environment { get; }

    internal KernelRun? Run { get; set; }

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Serialises writes of the kernel's state record.</summary>
    internal Lock RecordLock { get; } = new();

    /// <summary>Shut down (or never started): its state record is gone and stays gone.</summary>
    internal bool Forgotten { get; set; }

    private InvalidOperationException NotRunning() => new($"Kernel {Id} has no running container (state {State}).");
}
