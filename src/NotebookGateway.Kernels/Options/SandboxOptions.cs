namespace NotebookGateway.Kernels.Options;

/// <summary>
/// Everything about how kernels are sandboxed (<c>Sandbox</c> in gateway.json). Bound with the configuration
/// binder and checked by <see cref="SandboxOptionsValidator"/> at start-up.
/// </summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    /// <summary>
    /// Names this gateway deployment on the engine: every container it creates carries it as the
    /// <c>org.notebookgateway.owner</c> label, and on start-up every container with that label is removed as an
    /// orphan of an earlier run. Two gateways that share an engine must use different owners.
    /// </summary>
    public string Owner { get; set; } = "notebookgateway";

    /// <summary>The container engine: Docker, or Podman's Docker-compatible service. Both get the same containers.</summary>
    public EngineKind Engine { get; set; } = EngineKind.Docker;

    /// <summary>The engine's Unix socket; empty for the engine's usual one.</summary>
    public string? EngineSocket { get; set; }

    /// <summary>The socket the gateway connects to: <see cref="EngineSocket"/>, or the usual one of <see cref="Engine"/>.</summary>
    public string EffectiveEngineSocket => !string.IsNullOrWhiteSpace(EngineSocket) ? EngineSocket
        : Engine == EngineKind.Podman ? "/run/podman/podman.sock"
        : NotebookGateway.Docker.DockerClientOptions.DefaultSocketPath;

    /// <summary>
    /// RLIMIT_NPROC of every sandbox: processes and threads of the session's uid across all its kernels. The pids cgroup
    /// is the per-kernel limit; this is a second, per-uid bound, set explicitly because Podman would otherwise ask for
    /// more than the host allows.
    /// </summary>
    public int ProcessesPerUid { get; set; } = 4096;

    /// <summary>Directories holding one folder per kernelspec (<c>&lt;dir&gt;/&lt;name&gt;/kernel.json</c>).</summary>
    public IList<string> KernelSpecDirectories { get; set; } = ["kernelspecs"];

    /// <summary>The seccomp profile (JSON) applied to every sandbox; sent inline to the engine.</summary>
    public string SeccompProfile { get; set; } = "seccomp/notebook.json";

    /// <summary>
    /// Start kernels behind <c>nbgw-seccomp-log</c> so that attempts of the syscalls the profile denies (ptrace, mount,
    /// unshare, …) and network sockets reach the host's audit log as behaviour signals. Not under gVisor, whose
    /// syscalls never reach the host kernel.
    /// </summary>
    public bool SyscallSignals { get; set; } = true;

    /// <summary>Defaults; a kernelspec may override each value.</summary>
    public EnvelopeOptions Envelope { get; set; } = new();

    public UidRangeOptions UidRange { get; set; } = new();

    /// <summary>Warm starts: ready sandboxes per kernelspec (off unless a spec's size is above 0).</summary>
    public PoolOptions Pool { get; set; } = new();

    /// <summary>
    /// Host directory under which each kernel run gets its socket directory (a small tmpfs mounted by the gateway)
    /// and its connection file. Only the gateway (root) may write here.
    /// </summary>
    public string SocketRoot { get; set; } = "/run/notebookgateway/sockets";

    /// <summary>Mount a size- and inode-limited tmpfs on each socket directory (falls back to a plain 0700 directory if mounting fails).</summary>
    public bool SocketDirectoryTmpfs { get; set; } = true;

    public int SocketDirectorySizeKiB { get; set; } = 1024;

    public int SocketDirectoryInodes { get; set; } = 64;

    /// <summary>
    /// Host directory of the state that lets a restarted gateway take its kernels back (<c>{StateRoot}/{Owner}</c>,
    /// root-only; holds the kernels' HMAC keys, which never leave it).
    /// </summary>
    public string StateRoot { get; set; } = "/var/lib/notebookgateway/state";

    /// <summary>What a graceful stop (SIGTERM) does with running kernels: remove them, or keep them for the next start.</summary>
    public StopBehavior OnStop { get; set; } = StopBehavior.RemoveKernels;

    /// <summary>How long a kernel being taken back after a restart has to answer kernel_info with its stored key.</summary>
    public int ReadoptTimeoutSeconds { get; set; } = 10;

    internal TimeSpan ReadoptTimeout => TimeSpan.FromSeconds(ReadoptTimeoutSeconds);

    /// <summary>Host directory holding the notebook sessions' workspaces.</summary>
    public string WorkspaceRoot { get; set; } = "/var/lib/notebookgateway/workspaces";

    public WorkspaceBackendKind WorkspaceBackend { get; set; } = WorkspaceBackendKind.LoopImage;

    /// <summary>Where the workspace appears in every sandbox; also the kernel's working directory.</summary>
    public string WorkspaceMountPath { get; set; } = "/home/sandbox/work";

    /// <summary>How long a workspace is kept after its session ended (0 = removed at once). A session that resumes meanwhile gets it back.</summary>
    public int WorkspaceRetentionMinutes { get; set; }

    /// <summary>From container creation until the kernel answers kernel_info; a start that takes longer is undone.</summary>
    public int LaunchTimeoutSeconds { get; set; } = 60;

    /// <summary>How long a shutdown_request may take before the container is removed by force.</summary>
    public int ShutdownGraceSeconds { get; set; } = 5;

    /// <summary>A kernel that does not answer heartbeats for this long is reported dead.</summary>
    public int HeartbeatTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// iopub messages the gateway reads from one kernel per second at most: a kernel publishing faster is held in its own
    /// socket, where libzmq's high-water mark drops the excess, so a flood costs the gateway a bounded share of a core.
    /// Well above what clients are sent (<c>Channels:IOPubMessagesPerSecond</c>), so no output that would be relayed waits.
    /// </summary>
    public int KernelIOPubReadMessagesPerSecond { get; set; } = 5000;

    /// <summary>Bytes waiting to be read from one kernel channel at most (at least one message is always taken, whatever its size).</summary>
    public long KernelReceiveQueueBytes { get; set; } = 16L << 20;

    /// <summary>
    /// Serve a kernelspec only when its image carries a build-time verification of that kernel (the
    /// <c>org.notebookgateway.verified-kernels</c> label that scripts/build-images.sh records after starting the kernel
    /// in a sandbox). Off only for tools that verify images themselves and for tests of deliberately broken kernels.
    /// </summary>
    public bool RequireVerifiedImages { get; set; } = true;

    /// <summary>Run the in-sandbox self-test on the first kernel of each runtime; refuse to serve kernels if it fails.</summary>
    public bool SelfTest { get; set; } = true;

    /// <summary>Cap of the engine's json-file log per container (kernel stdout/stderr), e.g. <c>1m</c>.</summary>
    public string ContainerLogMaxSize { get; set; } = "1m";

    /// <summary>Labels the operator adds to every container (e.g. for accounting). Never from clients.</summary>
    public IDictionary<string, string> ExtraLabels { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Limits on the environment variables a client may pass to a kernel.</summary>
    public int MaxClientEnvironmentVariables { get; set; } = 64;

    public int MaxClientEnvironmentBytes { get; set; } = 64 * 1024;

    public TimeSpan LaunchTimeout => TimeSpan.FromSeconds(LaunchTimeoutSeconds);

    public TimeSpan ShutdownGrace => TimeSpan.FromSeconds(ShutdownGraceSeconds);

    public TimeSpan HeartbeatTimeout => TimeSpan.FromSeconds(HeartbeatTimeoutSeconds);

    public TimeSpan WorkspaceRetention => TimeSpan.FromMinutes(WorkspaceRetentionMinutes);
}
