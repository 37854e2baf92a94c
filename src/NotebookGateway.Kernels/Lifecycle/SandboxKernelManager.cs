using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Kernels.State;
using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Runs kernels in sandboxes: one hardened container per kernel run, a per-run socket directory and key, a per-session
/// uid and workspace. Start, interrupt, restart (a new container) and shutdown are here; the work is done by its
/// collaborators: <see cref="RunLauncher"/> (a run from a spec, planned by <see cref="RunPlanner"/>),
/// <see cref="KernelPool"/> (warm starts), <see cref="RunDeathWatcher"/>, <see cref="OrphanSweeper"/>,
/// <see cref="SelfTestRunner"/> and <see cref="OperationTracker"/>. Call <see cref="InitializeAsync"/> once before use; <see cref="DisposeAsync"/>
/// removes everything the manager created (the SIGTERM path).
/// </summary>
public sealed partial class SandboxKernelManager(
    SandboxHost host,
    KernelSpecCatalog catalog,
    RunLauncher launcher,
    RunDeathWatcher deaths,
    OrphanSweeper orphans,
    SelfTestRunner selfTest,
    OperationTracker operations,
    KernelStateEvents states,
    ContainerCgroup cgroup,
    SessionRegistry sessions,
    NetworkPolicyResolver policies,
    KernelPool pool,
    KernelReconciler reconciler,
    KernelStateStore state,
    KernelMetrics metrics,
    TimeProvider timeProvider,
    ILogger<SandboxKernelManager> logger) : IAsyncDisposable
{
    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, SandboxKernel> _kernels = new(StringComparer.Ordinal);
    private int _initialized;
    private volatile bool _ready;
    private int _disposed;

    /// <summary>What the manager disposes last: the services <see cref="SandboxKernelManagerFactory"/> composed it from.</summary>
    internal IAsyncDisposable? OwnedServices { get; set; }

    /// <summary>Raised on every state change of every kernel (on the thread that caused it; handlers must not block).</summary>
    public event EventHandler<KernelStateChangedEventArgs>? KernelStateChanged
    {
        add => states.Changed += value;
        remove => states.Changed -= value;
    }

    /// <summary>This process's id, stamped on its containers (<c>org.notebookgateway.instance</c>).</summary>
    public string InstanceId => host.InstanceId;

    public string Owner => host.Owner;

    /// <summary>The last self-test result, null before the first kernel.</summary>
    public SelfTestResult? LastSelfTest => selfTest.LastResult;

    /// <summary>Why the manager refuses to start kernels (a failed self-test), or null.</summary>
    public string? RefusalReason => selfTest.RefusalReason;

    /// <summary>The sandboxes waiting for warm starts.</summary>
    public KernelPool Pool => pool;

    /// <summary>The live notebook sessions.</summary>
    public IReadOnlyList<NotebookSession> Sessions => sessions.Sessions;

    /// <summary>Where this owner's socket directories live on the host.</summary>
    public string SocketRoot => host.SocketRoot;

    /// <summary>Where this owner's workspaces live on the host.</summary>
    public string WorkspaceRoot => host.WorkspaceRoot;

    /// <summary>
    /// Checks the options, loads the seccomp profile, prepares the host roots, removes this owner's orphans (containers,
    /// socket directories, mounts, workspaces) and subscribes to the engine's container events.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _initialized, 1) != 0)
        {
            throw new InvalidOperationException("The manager is already initialised.");
        }

        await host.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var taken = await reconciler.ReconcileAsync(cancellationToken).ConfigureAwait(false);
        foreach (var kernel in taken)
        {
            _kernels[kernel.Id] = kernel;
        }

        Readopted = taken;
        await orphans.SweepAsync(cancellationToken).ConfigureAwait(false);
        _ready = true; // the host is prepared and clean: sessions may be made, and disposal sweeps again
        states.Changed += RecordDeath;
        await deaths.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var run in taken.Select(k => k.Run).OfType<KernelRun>())
        {
            deaths.WatchHeartbeat(run);
            deaths.CatchUp(run);
        }

        pool.Start();
        if (host.Options.WorkspaceBackend == WorkspaceBackendKind.Directory)
        {
            LifecycleLog.WorkspacesUncapped(logger);
        }

        if (File.Exists("/proc/sys/fs/protected_symlinks") && (await File.ReadAllTextAsync("/proc/sys/fs/protected_symlinks", cancellationToken).ConfigureAwait(false)).Trim() == "0")
        {
            LifecycleLog.ProtectedSymlinksOff(logger);
        }

        LifecycleLog.Initialized(logger, host.Owner, InstanceId, host.Seccomp.Digest, host.SocketRoot, host.WorkspaceRoot);
    }

    /// <summary>
    /// Starts a kernel: a waiting sandbox from the pool when the start begins a new workspace and one matches (warm);
    /// otherwise a session (uid, workspace) is found or created, then one container is created and the kernel must
    /// answer kernel_info within the launch timeout (cold). A failed start leaves no container and no socket directory.
    /// </summary>
    /// <exception cref="KernelSpecNotFoundException">Unknown spec, or its image is missing.</exception>
    /// <exception cref="KernelLaunchException">The container could not be started, timed out, died, or was refused.</exception>
    /// <exception cref="SandboxSelfTestException">The self-test failed; no kernel will be served.</exception>
    public async Task<SandboxKernel> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var operation = BeginOperation(cancellationToken, out var token);
        var begin = timeProvider.GetTimestamp();
        var spec = await catalog.GetAsync(request.SpecName, token).ConfigureAwait(false);
        var kernelId = request.Validate();
        var environment = KernelEnvironment.Build(spec.Env, request.Environment, host.Options);
        var kernel = new SandboxKernel(kernelId, spec, environment, timeProvider.GetUtcNow(), cgroup)
        {
            NetworkPolicy = policies.Resolve(spec, request.NetworkPolicy),
            Annotations = request.Annotations ?? new Dictionary<string, string>(StringComparer.Ordinal),
        };
        if (!_kernels.TryAdd(kernelId, kernel))
        {
            throw new InvalidOperationException($"A kernel with id {kernelId} already exists.");
        }

        var sessionId = request.SessionId ?? "kernel:" + kernelId;
        var implicitSession = request.SessionId is null;
        NotebookSession? session = null;
        try
        {
            await kernel.Gate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                var warm = await pool.TryHandOutAsync(kernel, sessionId, implicitSession, token).ConfigureAwait(false);
                try
                {
                    session = warm is null ? await sessions.AcquireAsync(sessionId, implicitSession, spec.Sandbox.Envelope, token).ConfigureAwait(false) : kernel.Session;
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                    throw new KernelLaunchException($"Kernel {kernelId}: the session's uid or workspace could not be set up: {ex.Message}", ex);
                }

                (kernel.Session, kernel.WarmStart, kernel.Run) = (session, warm is not null, warm);
                states.Set(kernel, SandboxKernelState.Starting, null);
                var run = warm ?? await LaunchAsync(kernel, token).ConfigureAwait(false);
                kernel.Run = run;
                kernel.Generation = 1;
                await selfTest.EnsurePassedAsync(kernel, token).ConfigureAwait(false);
                RecordStarted(kernel);
                states.Set(kernel, SandboxKernelState.Running, null);
                deaths.CatchUp(run);
                var elapsed = timeProvider.GetElapsedTime(begin);
                metrics.StartSeconds.Record(elapsed.TotalSeconds, new("path", kernel.WarmStart ? "warm" : "cold"), new("kernel_name", spec.Name));
                LifecycleLog.KernelStarted(logger, kernel.Id, spec.Name, run.ContainerId!, session.Key, session.Uid, elapsed.TotalMilliseconds, kernel.WarmStart ? "warm: a pooled sandbox" : run.StartPhases + " ms");
                return kernel;
            }
            finally
            {
                kernel.Gate.Release();
            }
        }
        catch (Exception ex)
        {
            if (kernel.Run is { } run)
            {
                kernel.Run = null;
                await launcher.TearDownAsync(run, graceful: false).ConfigureAwait(false);
            }

            _kernels.TryRemove(kernelId, out _);
            ForgetRecord(kernel);
            if (session is not null)
            {
                sessions.Release(session);
                if (implicitSession)
                {
                    await sessions.EndAsync(sessionId, CancellationToken.None).ConfigureAwait(false);
                }

                states.Set(kernel, SandboxKernelState.Stopped, "start failed: " + ex.Message);
            }

            throw;
        }
    }

    /// <summary>Interrupts per the kernelspec's interrupt_mode: SIGINT through the engine, or interrupt_request.</summary>
    public async Task InterruptKernelAsync(string kernelId, CancellationToken cancellationToken = default)
    {
        using var operation = BeginOperation(cancellationToken, out var token);
        var kernel = GetKernel(kernelId);
        var client = kernel.Run?.Client ?? throw new InvalidOperationException($"Kernel {kernelId} is not running (state {kernel.State}).");
        await client.InterruptAsync(token).ConfigureAwait(false);
        LifecycleLog.KernelInterrupted(logger, kernelId, kernel.Spec.InterruptMode);
    }

    /// <summary>
    /// Restarts a kernel: the old container is shut down and removed (every process in it dies), then a new container
    /// with a new key and a new socket directory starts, with the same kernel id, session uid and workspace.
    /// Works on a dead kernel too.
    /// </summary>
    public async Task<SandboxKernel> RestartKernelAsync(string kernelId, CancellationToken cancellationToken = default)
    {
        using var operation = BeginOperation(cancellationToken, out var token);
        var kernel = GetKernel(kernelId);
        await kernel.Gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (kernel.State is SandboxKernelState.ShuttingDown or SandboxKernelState.Stopped)
            {
                throw new KernelNotFoundException($"Kernel {kernelId} was shut down.");
            }

            selfTest.ThrowIfRefused();
            var previous = kernel.Run;
            kernel.Run = null;
            states.Set(kernel, SandboxKernelState.Restarting, null);
            if (previous is not null)
            {
                await launcher.TearDownAsync(previous, graceful: true, restart: true).ConfigureAwait(false);
            }

            KernelRun run;
            try
            {
                run = await LaunchAsync(kernel, token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                (kernel.DeathReason, kernel.DeathCause) = ("restart failed: " + ex.Message, null);
                states.Set(kernel, SandboxKernelState.Dead, kernel.DeathReason);
                throw;
            }

            kernel.Run = run;
            kernel.Generation++;
            (kernel.DeathReason, kernel.DeathCause) = (null, null);
            TryRecord(kernel);
            states.Set(kernel, SandboxKernelState.Running, "restarted");
            deaths.CatchUp(run);
            LifecycleLog.KernelRestarted(logger, kernel.Id, previous?.ContainerId ?? "-", run.ContainerId!, run.StartDuration?.TotalMilliseconds ?? 0, run.StartPhases);
            return kernel;
        }
        finally
        {
            kernel.Gate.Release();
        }
    }

    /// <summary>
    /// Shuts a kernel down: shutdown_request, up to <see cref="SandboxOptions.ShutdownGraceSeconds"/> for it to exit,
    /// then the container is removed by force, with its socket directory. A kernel without a session of its own
    /// ends that session (its workspace goes per the retention setting). Idempotent.
    /// </summary>
    public async Task ShutdownKernelAsync(string kernelId, CancellationToken cancellationToken = default)
    {
        using var operation = BeginOperation(cancellationToken, out var token);
        if (!_kernels.TryGetValue(kernelId, out var kernel))
        {
            return;
        }

        await kernel.Gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (kernel.State is SandboxKernelState.Stopped)
            {
                return;
            }

            states.Set(kernel, SandboxKernelState.ShuttingDown, null);
            var run = kernel.Run;
            kernel.Run = null;
            if (run is not null)
            {
                await launcher.TearDownAsync(run, graceful: true).ConfigureAwait(false);
            }

            _kernels.TryRemove(kernelId, out _);
            ForgetRecord(kernel);
            sessions.Release(kernel.Session);
            if (kernel.Session.IsImplicit)
            {
                await sessions.EndAsync(kernel.Session.Id, CancellationToken.None).ConfigureAwait(false);
            }

            states.Set(kernel, SandboxKernelState.Stopped, null);
            LifecycleLog.KernelShutDown(logger, kernelId);
        }
        finally
        {
            kernel.Gate.Release();
        }
    }

    /// <summary>Ends a notebook session: its kernels are shut down, then its workspace is removed (now or after the retention period).</summary>
    public async Task EndSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        using var operation = BeginOperation(cancellationToken, out var token);
        foreach (var kernel in _kernels.Values.Where(k => k.Session?.Id == sessionId).ToList())
        {
            await ShutdownKernelAsync(kernel.Id, token).ConfigureAwait(false);
        }

        await sessions.EndAsync(sessionId, token).ConfigureAwait(false);
    }

    public IReadOnlyList<SandboxKernel> ListKernels() => _kernels.Values.OrderBy(k => k.CreatedAt).ToList();

    public bool TryGetKernel(string kernelId, out SandboxKernel kernel) => _kernels.TryGetValue(kernelId, out kernel!);

    /// <exception cref="KernelNotFoundException">No such kernel.</exception>
    public SandboxKernel GetKernel(string kernelId) =>
        _kernels.TryGetValue(kernelId, out var kernel) ? kernel : throw new KernelNotFoundException($"No kernel with id {kernelId}.");

    /// <summary>A run for <paramref name="kernel"/>, watched for heartbeat loss from the moment it is ready.</summary>
    private async Task<KernelRun> LaunchAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        var run = await launcher.LaunchAsync(kernel, cancellationToken).ConfigureAwait(false);
        deaths.WatchHeartbeat(run);
        return run;
    }

    private IDisposable BeginOperation(CancellationToken cancellationToken, out CancellationToken token)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_ready)
        {
            throw new InvalidOperationException("Call InitializeAsync first.");
        }

        selfTest.ThrowIfRefused();
        return operations.Begin(cancellationToken, out token);
    }
}
