using System.Security.Cryptography;
using NotebookGateway.Docker;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Turns a kernel (its spec, session and environment) into what one run of it is made of: the connection the kernel
/// binds (written to its connection file), the container that runs it, and how the gateway's client reaches it.
/// The one place that maps a kernelspec onto a sandbox; a different kernel transport or envelope changes this type.
/// </summary>
public sealed class RunPlanner(SandboxHost host, DockerClient docker, EgressProxy egress, TimeProvider timeProvider)
{
    /// <summary>A fresh id for a run (one container; a restart is a new run).</summary>
    public static string NewRunId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The connection of a new run: ipc sockets in the run's socket directory, a fresh key.</summary>
    public static ConnectionInfo CreateConnection(KernelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return ConnectionInfo.CreateIpc(SandboxPaths.SocketPrefix, spec.Name);
    }

    /// <summary>
    /// What the kernel reads from its connection file: the run's own connection for ipc kernels; for
    /// <see cref="KernelTransport.TcpLoopback"/> ones the same key with tcp ports on the container's loopback, which the
    /// relay joins to the socket directory (the gateway keeps the ipc side).
    /// </summary>
    public static ConnectionInfo KernelSideConnection(KernelSpec spec, ConnectionInfo connection)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Sandbox.Transport == KernelTransport.TcpLoopback ? LoopbackRelay.KernelSide(connection) : connection;
    }

    /// <summary>The run's container; <paramref name="command"/> overrides the spec's argv (the self-test probe).</summary>
    internal SandboxContainerRequest CreateContainerRequest(KernelRun run, IReadOnlyList<string>? command = null)
    {
        var kernel = run.Kernel;
        var options = host.Options;
        var labels = new Dictionary<string, string>(options.ExtraLabels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [SandboxLabels.Owner] = options.Owner,
            [SandboxLabels.Instance] = host.InstanceId,
            [SandboxLabels.Kernel] = kernel.Id,
            [SandboxLabels.Session] = kernel.Session.Key,
            [SandboxLabels.Run] = run.RunId,
            [SandboxLabels.KernelSpec] = kernel.Spec.Name,
        };
        return new SandboxContainerRequest
        {
            Spec = kernel.Spec,
            Uid = kernel.Session.Uid,
            Gid = kernel.Session.Gid,
            SocketDirectoryHostPath = run.Sockets.HostPath,
            ConnectionFileHostPath = run.Sockets.ConnectionFilePath,
            WorkspaceHostPath = kernel.Session.WorkspaceHostPath,
            Labels = labels,
            Environment = kernel.Environment,
            Seccomp = host.Seccomp,
            SyscallSignals = host.SyscallSignals,
            Options = options,
            Command = command,
            Connection = run.Connection,
            NetworkPolicy = kernel.NetworkPolicy,
            EgressSocketHostPath = run.Egress?.SocketPath,
            EgressNoProxy = egress.Options.NoProxy,
        };
    }

    /// <summary>
    /// How the gateway's client talks to the run: through the checked socket descriptors, interrupting per the spec
    /// (signals go through the engine), with the envelope's message size limit.
    /// </summary>
    internal KernelClientOptions CreateClientOptions(KernelRun run, KernelSocketSet sockets, string containerId) => new()
    {
        EndpointResolver = sockets.EndpointOf,
        Signaler = new ContainerSignaler(docker, containerId),
        InterruptMode = run.Kernel.Spec.InterruptMode,
        HeartbeatInterval = TimeSpan.FromSeconds(1),
        EnableHeartbeat = run.Kernel.Spec.Sandbox.HeartbeatTimeoutSeconds != 0,
        HeartbeatTimeout = run.Kernel.Spec.Sandbox.HeartbeatTimeoutSeconds is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : host.Options.HeartbeatTimeout,
        Limits = new WireLimits { MaxMessageBytes = run.Kernel.Envelope.MaxMessageBytes },
        ReceiveQueueBytes = host.Options.KernelReceiveQueueBytes,
        IOPubReadMessagesPerSecond = host.Options.KernelIOPubReadMessagesPerSecond,
        TimeProvider = timeProvider,
    };
}
