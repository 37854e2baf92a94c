using System.Globalization;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>What one kernel container is made of; <see cref="Build"/> turns it into the engine's create request.</summary>
public sealed record SandboxContainerRequest
{
    public required KernelSpec Spec { get; init; }

    public required uint Uid { get; init; }

    public required uint Gid { get; init; }

    public required string SocketDirectoryHostPath { get; init; }

    public required string ConnectionFileHostPath { get; init; }

    public required string WorkspaceHostPath { get; init; }

    /// <summary>Labels decided by the gateway (ownership, ids); never anything a client sent.</summary>
    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    /// <summary><c>NAME=value</c> entries: the kernelspec's env and the caller's validated client env.</summary>
    public required IReadOnlyList<string> Environment { get; init; }

    public required SeccompProfile Seccomp { get; init; }

    public required SandboxOptions Options { get; init; }

    /// <summary>Overrides the spec's argv (the self-test probe); null runs the kernel.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>The gateway's side of the run's connection (ipc paths in the sandbox); the tcp-loopback relay needs it.</summary>
    public required Jupyter.Connection.ConnectionInfo Connection { get; init; }

    /// <summary>The host's syscall signals (null: kernels start without the logging filter).</summary>
    public Observation.SyscallSignals? SyscallSignals { get; init; }

    /// <summary>The run's network policy; null: none (no egress socket, no proxy variables).</summary>
    public Egress.Policies.EgressPolicy? NetworkPolicy { get; init; }

    /// <summary>The egress proxy's socket on the host (bind-mounted read-only at <see cref="EgressRelay.SocketPath"/>) when there is a policy.</summary>
    public string? EgressSocketHostPath { get; init; }

    /// <summary><c>NO_PROXY</c> for a kernel with a policy.</summary>
    public string EgressNoProxy { get; init; } = "";

    /// <summary>
    /// The spec's argv for the sandbox's connection file, behind the loopback relay for tcp-only kernels, and first of
    /// all behind the logging seccomp filter (not under
    /// gVisor: its syscalls never reach the host's audit log). Inet sockets are logged only for kernels that use none
    /// themselves (no relay to loopback ports, no egress path).
    /// </summary>
    private IReadOnlyList<string> KernelCommand()
    {
        var argv = Spec.ArgvFor(SandboxPaths.ConnectionFile);
        bool tcpLoopback = Spec.Sandbox.Transport == Specs.KernelTransport.TcpLoopback;
        argv = tcpLoopback ? [.. LoopbackRelay.CommandPrefix(Connection), .. argv] : argv;
        return SyscallSignals is null || Spec.Sandbox.IsGVisor
            ? argv
            : [.. SyscallSignals.CommandPrefix(logNetworkSockets: !tcpLoopback && NetworkPolicy is null), .. argv];
    }

    private List<Mount> Mounts()
    {
        List<Mount> mounts =
        [
            Bind(SocketDirectoryHostPath, SandboxPaths.SocketDirectory, readOnly: false),
            Bind(ConnectionFileHostPath, SandboxPaths.ConnectionFile, readOnly: true),
            Bind(WorkspaceHostPath, Options.WorkspaceMountPath, readOnly: false),
        ];
        if (NetworkPolicy is not null)
        {
            // Read-only: connecting to a socket needs no write access to the mount, and the sandbox cannot unlink or
            // replace what it connects to.
            mounts.Add(Bind(EgressSocketHostPath ?? throw new InvalidOperationException("A network policy needs the egress socket."), EgressRelay.SocketPath, readOnly: true));
        }

        return mounts;
    }

    /// <summary>
    /// The hardened container: no network, read-only root, every capability dropped, no-new-privileges, our seccomp
    /// profile inline, memory = memory+swap, CPU quota, pids cgroup, nofile and core rlimits, nproc (per host uid, so
    /// a session-wide bound), sized noexec /tmp and /dev/shm inside the memory budget, an init as PID 1, the session's uid, and
    /// three bind mounts: socket directory (rw), connection file (ro), workspace (rw), and with a network policy a
    /// fourth: the egress proxy's socket (ro).
    /// </summary>
    public ContainerCreateRequest Build()
    {
        var envelope = Spec.Sandbox.Envelope;
        var user = string.Create(CultureInfo.InvariantCulture, $"{Uid}:{Gid}");
        return new ContainerCreateRequest
        {
            Image = Spec.Sandbox.Image,
            Cmd = Command ?? KernelCommand(),
            Entrypoint = Spec.Sandbox.EffectiveEntrypoint,
            Env = EgressRelay.MergeEnvironment(Environment, NetworkPolicy, EgressNoProxy),
            User = user,
            WorkingDir = Options.WorkspaceMountPath,
            Hostname = "sandbox",
            Labels = Labels,
            StopSignal = "SIGTERM",
            StopTimeout = Options.ShutdownGraceSeconds,
            NetworkDisabled = true,
            Tty = false,
            OpenStdin = false,
            AttachStdin = false,
            AttachStdout = false,
            AttachStderr = false,
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                ReadonlyRootfs = true,
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges", (Spec.Sandbox.IsGVisor ? Seccomp.ForGVisor() : Seccomp).SecurityOpt],
                Privileged = false,
                Memory = envelope.MemoryBytes,
                MemorySwap = envelope.MemoryBytes,
                NanoCpus = envelope.NanoCpus,
                PidsLimit = envelope.Pids,
                Ulimits =
                [
                    new Ulimit { Name = "nofile", Soft = envelope.Nofile, Hard = envelope.Nofile },
                    new Ulimit { Name = "core", Soft = 0, Hard = 0 },
                    new Ulimit { Name = "nproc", Soft = Options.ProcessesPerUid, Hard = Options.ProcessesPerUid },
                ],
                Tmpfs = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"size={envelope.TmpMiB}m,mode=1777,{(envelope.TmpExec ? "exec" : "noexec")},nosuid,nodev"),
                },
                ShmSize = envelope.ShmBytes,
                Init = true,
                IpcMode = "private",
                OomKillDisable = false,
                Runtime = Spec.Sandbox.Runtime,
                RestartPolicy = new RestartPolicy { Name = "no" },
                AutoRemove = false,
                LogConfig = new LogConfig
                {
                    Type = "json-file",
                    Config = new Dictionary<string, string>(StringComparer.Ordinal) { ["max-size"] = Options.ContainerLogMaxSize, ["max-file"] = "1" },
                },
                Mounts = Mounts(),
            },
        };
    }

    /// <summary>A bind mount of a host path that does not propagate mounts either way.</summary>
    private static Mount Bind(string source, string target, bool readOnly) => new()
    {
        Type = MountTypes.Bind,
        Source = source,
        Target = target,
        ReadOnly = readOnly,
        BindOptions = new BindOptions { Propagation = "rprivate" },
    };
}
