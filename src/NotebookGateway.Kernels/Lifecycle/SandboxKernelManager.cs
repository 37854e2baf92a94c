using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Interop;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Kernels.Workspaces;
using NotebookGateway.Zmq;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Runs kernels in sandboxes: one hardened container per kernel run, a per-run socket directory and key, a per-session
/// uid and workspace. Start, interrupt, restart (a new container), shutdown, and death detection from the engine's
/// event stream. Call <see cref="InitializeAsync"/> once before use; <see cref="DisposeAsync"/> removes everything the
/// manager created (the SIGTERM path).
/// </summary>
/// <remarks>
/// Orphans: on <see cref="InitializeAsync"/> every container labelled with this <see cref="SandboxOptions.Owner"/>
/// is removed, with every socket directory, connection file, mount and workspace under the owner's roots. They are
/// never re-adopted, by design: their HMAC keys lived only in the previous process (the gateway never reads a
/// connection file back), so nothing could talk to those kernels safely again.
/// </remarks>
public sealed partial class SandboxKernelManager : IAsyncDisposable
{
    private static readonly TimeSpan SelfTestTimeout = TimeSpan.FromSeconds(60);

    private readonly DockerClient _docker;
    private readonly ZmqContext _zmq;
    private readonly KernelSpecCatalog _catalog;
    private readonly SandboxOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly KernelMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly SecurityEvents _security;
    private readonly UidAllocator _uids;
    private readonly IWorkspaceBackend _workspaceBackend;
    private readonly ConcurrentDictionary<string, SandboxKernel> _kernels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KernelRun> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly HashSet<string> _selfTestedRuntimes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _selfTestGate = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private SeccompProfile? _seccomp;
    private SessionRegistry? _sessions;
    private ContainerEventWatcher? _watcher;
    private string _socketRoot = "";
    private int _initialized;
    private int _disposed;
    private volatile string? _refusal;

    public SandboxKernelManager(
        DockerClient docker,
        ZmqContext zmq,
        KernelSpecCatalog catalog,
        IOptions<SandboxOptions> options,
        ILoggerFactory loggerFactory,
        TimeProvider? timeProvider = null,
        KernelMetrics? metrics = null)
        : this(docker, zmq, catalog, options, loggerFactory, timeProvider, metrics, accountFiles: null)
    {
    }

    internal SandboxKernelManager(
        DockerClient docker,
        ZmqContext zmq,
        KernelSpecCatalog catalog,
        IOptions<SandboxOptions> options,
        ILoggerFactory loggerFactory,
        TimeProvider? timeProvider,
        KernelMetrics? metrics,
        IReadOnlyList<string>? accountFiles)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _docker = docker ?? throw new ArgumentNullException(nameof(docker));
        _zmq = zmq ?? throw new ArgumentNullException(nameof(zmq));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SandboxKernelManager>();
        _time = timeProvider ?? TimeProvider.System;
        _ownsMetrics = metrics is null;
        _metrics = metrics ?? new KernelMetrics();
        _security = new SecurityEvents(loggerFactory.CreateLogger(typeof(SecurityEvents).FullName!), _metrics);
        _uids = new UidAllocator(_options.UidRange, accountFiles);
        _workspaceBackend = _options.WorkspaceBackend == WorkspaceBackendKind.Directory
            ? new DirectoryWorkspaceBackend()
            : new LoopImageWorkspaceBackend();
        InstanceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    }

    /// <summary>Raised on every state change of every kernel (on the thread that caused it; handlers must not block).</summary>
    public event EventHandler<KernelStateChangedEventArgs>? KernelStateChanged;

    /// <summary>This process's id, stamped on its containers (<c>org.notebookgateway.instance</c>).</summary>
    public string InstanceId { get; }

    public string Owner => _options.Owner;

    /// <summary>The last self-test result, null before the first kernel.</summary>
    public SelfTestResult? LastSelfTest { get; private set; }

    /// <summary>Why the manager refuses to start kernels (a failed self-test), or null.</summary>
    public string? RefusalReason => _refusal;

    /// <summary>The live notebook sessions.</summary>
    public IReadOnlyList<NotebookSession> Sessions => _sessions?.Sessions ?? [];

    /// <summary>Where this owner's socket directories live on the host.</summary>
    public string SocketRoot => _socketRoot;

    /// <summary>Where this owner's workspaces live on the host.</summary>
    public string WorkspaceRoot => _sessions?.Root ?? "";

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

        var errors = SandboxOptionsValidator.Collect(_options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(SandboxOptions), errors);
        }

        _seccomp = await SeccompProfile.LoadAsync(_options.SeccompProfile, cancellationToken).ConfigureAwait(false);
        _socketRoot = PrepareRoot(_options.SocketRoot, _options.Owner);
        var workspaceRoot = PrepareRoot(_options.WorkspaceRoot, _options.Owner);

        await RemoveOrphansAsync(workspaceRoot, cancellationToken).ConfigureAwait(false);

        _sessions = new SessionRegistry(_options, workspaceRoot, _uids, _workspaceBackend, _time, _loggerFactory.CreateLogger<SessionRegistry>());
        _watcher = new ContainerEventWatcher(_docker, _options.Owner, OnContainerEventAsync, ReconcileAsync, _time, _logger);
        await _watcher.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_workspaceBackend is DirectoryWorkspaceBackend)
        {
            Log.WorkspacesUncapped(_logger);
        }

        if (File.Exists("/proc/sys/fs/protected_symlinks") && (await File.ReadAllTextAsync("/proc/sys/fs/protected_symlinks", cancellationToken).ConfigureAwait(false)).Trim() == "0")
        {
            Log.ProtectedSymlinksOff(_logger);
        }

        Log.Initialized(_logger, _options.Owner, InstanceId, _seccomp.Digest, _socketRoot, workspaceRoot);
    }

    /// <summary>
    /// Starts a kernel: a session (uid, workspace) is found or created, then one container is created and the kernel
    /// must answer kernel_info within the launch timeout. A failed start leaves no container and no socket directory.
    /// </summary>
    /// <exception cref="KernelSpecNotFoundException">Unknown spec, or its image is missing.</exception>
    /// <exception cref="KernelLaunchException">The container could not be started, timed out, died, or was refused.</exception>
    /// <exception cref="SandboxSelfTestException">The self-test failed; no kernel will be served.</exception>
    public async Task<SandboxKernel> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var operation = BeginOperation(cancellationToken, out var token);
        var spec = await _catalog.GetAsync(request.SpecName, token).ConfigureAwait(false);
        var kernelId = request.KernelId ?? Guid.NewGuid().ToString();
        if (!KernelIdPattern().IsMatch(kernelId))
        {
            throw new ArgumentException($"'{kernelId}' is not a valid kernel id.", nameof(request));
        }

        if (request.SessionId is { } sid && (sid.Length is 0 or > 512 || sid.Any(char.IsControl)))
        {
            throw new ArgumentException("The session id must be 1-512 characters without control characters.", nameof(request));
        }

        var environment = KernelEnvironment.Build(spec.Env, request.Environment, _options);
        var kernel = new SandboxKernel(kernelId, spec, environment, _time.GetUtcNow());
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
                try
                {
                    session = await Sessions_.AcquireAsync(sessionId, implicitSession, spec.Sandbox.Envelope, token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                    throw new KernelLaunchException($"Kernel {kernelId}: the session's uid or workspace could not be set up: {ex.Message}", ex);
                }

                kernel.Session = session;
                SetState(kernel, SandboxKernelState.Starting, null);
                var run = await LaunchRunAsync(kernel, token).ConfigureAwait(false);
                kernel.Run = run;
                kernel.Generation = 1;
                await EnsureSelfTestAsync(kernel, token).ConfigureAwait(false);
                SetState(kernel, SandboxKernelState.Running, null);
                CatchUpOnDeath(run);
                Log.KernelStarted(_logger, kernel.Id, spec.Name, run.ContainerId!, session.Key, session.Uid, run.StartDuration?.TotalMilliseconds ?? 0);
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
                await TearDownRunAsync(run, graceful: false).ConfigureAwait(false);
            }

            _kernels.TryRemove(kernelId, out _);
            if (session is not null)
            {
                Sessions_.Release(session);
                if (implicitSession)
                {
                    await Sessions_.EndAsync(sessionId, CancellationToken.None).ConfigureAwait(false);
                }
            }

            if (session is not null)
            {
                SetState(kernel, SandboxKernelState.Stopped, "start failed: " + ex.Message);
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
        Log.KernelInterrupted(_logger, kernelId, kernel.Spec.InterruptMode);
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

            ThrowIfRefused();
            var previous = kernel.Run;
            kernel.Run = null;
            SetState(kernel, SandboxKernelState.Restarting, null);
            if (previous is not null)
            {
                await TearDownRunAsync(previous, graceful: true, restart: true).ConfigureAwait(false);
            }

            KernelRun run;
            try
            {
                run = await LaunchRunAsync(kernel, token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                kernel.DeathReason = "restart failed: " + ex.Message;
                SetState(kernel, SandboxKernelState.Dead, kernel.DeathReason);
                throw;
            }

            kernel.Run = run;
            kernel.Generation++;
            kernel.DeathReason = null;
            SetState(kernel, SandboxKernelState.Running, "restarted");
            CatchUpOnDeath(run);
            Log.KernelRestarted(_logger, kernel.Id, previous?.ContainerId ?? "-", run.ContainerId!, run.StartDuration?.TotalMilliseconds ?? 0);
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

            SetState(kernel, SandboxKernelState.ShuttingDown, null);
            var run = kernel.Run;
            kernel.Run = null;
            if (run is not null)
            {
                await TearDownRunAsync(run, graceful: true).ConfigureAwait(false);
            }

            _kernels.TryRemove(kernelId, out _);
            Sessions_.Release(kernel.Session);
            if (kernel.Session.IsImplicit)
            {
                await Sessions_.EndAsync(kernel.Session.Id, CancellationToken.None).ConfigureAwait(false);
            }

            SetState(kernel, SandboxKernelState.Stopped, null);
            Log.KernelShutDown(_logger, kernelId);
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

        await Sessions_.EndAsync(sessionId, token).ConfigureAwait(false);
    }

    public IReadOnlyList<SandboxKernel> ListKernels() => _kernels.Values.OrderBy(k => k.CreatedAt).ToList();

    public bool TryGetKernel(string kernelId, out SandboxKernel kernel) => _kernels.TryGetValue(kernelId, out kernel!);

    /// <exception cref="KernelNotFoundException">No such kernel.</exception>
    public SandboxKernel GetKernel(string kernelId) =>
        _kernels.TryGetValue(kernelId, out var kernel) ? kernel : throw new KernelNotFoundException($"No kernel with id {kernelId}.");

    /// <summary>
    /// Removes every container, socket directory and workspace this manager created (SIGTERM path). Operations in
    /// flight are cancelled and undo themselves.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync().ConfigureAwait(false);
        }

        // Let in-flight starts/restarts notice the cancellation and clean up after themselves.
        await WaitForBackgroundAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

        var teardowns = new List<Task>();
        foreach (var kernel in _kernels.Values)
        {
            if (kernel.Run is { } run)
            {
                kernel.Run = null;
                teardowns.Add(TearDownRunAsync(run, graceful: false));
            }
        }

        teardowns.AddRange(_runs.Values.Select(run => TearDownRunAsync(run, graceful: false)));
        await Task.WhenAll(teardowns).ConfigureAwait(false);
        foreach (var kernel in _kernels.Values)
        {
            SetState(kernel, SandboxKernelState.Stopped, "the gateway is shutting down");
        }

        _kernels.Clear();
        if (_sessions is not null)
        {
            await _sessions.DisposeAsync().ConfigureAwait(false);
        }

        if (Volatile.Read(ref _initialized) != 0 && _sessions is not null)
        {
            // Backstop: anything of ours that escaped the bookkeeping.
            try
            {
                await RemoveOrphansAsync(_sessions.Root, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DockerException or IOException)
            {
                Log.CleanupFailed(_logger, "final sweep", ex.Message);
            }
        }

        Log.Disposed(_logger, _options.Owner, InstanceId);
        _disposing.Dispose();
        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }
    }

    /// <summary>
    /// Tests only: behave like a process that was killed — stop watching and close every descriptor and socket,
    /// but leave containers, socket directories, mounts and workspaces in place (for the orphan sweep to find).
    /// </summary>
    internal async Task AbandonForTestingAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var run in _runs.Values)
        {
            run.Retiring = true;
            if (run.Client is { } client)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            run.SocketSet?.Dispose();
        }

        _runs.Clear();
        _kernels.Clear();
    }

    private SessionRegistry Sessions_ => _sessions ?? throw new InvalidOperationException("Call InitializeAsync first.");

    private void SetState(SandboxKernel kernel, SandboxKernelState state, string? reason)
    {
        var previous = kernel.State;
        kernel.State = state;
        try
        {
            KernelStateChanged?.Invoke(this, new KernelStateChangedEventArgs(kernel, previous, state, reason));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, kernel.Id, ex);
        }
    }

    private void ThrowIfRefused()
    {
        if (_refusal is { } refusal)
        {
            throw new SandboxSelfTestException(refusal);
        }
    }

    private OperationScope BeginOperation(CancellationToken cancellationToken, out CancellationToken token)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _initialized) == 0 || _sessions is null)
        {
            throw new InvalidOperationException("Call InitializeAsync first.");
        }

        ThrowIfRefused();
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        token = linked.Token;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _background.TryAdd(done.Task, 0);
        return new OperationScope(linked, done, _background);
    }

    private async Task WaitForBackgroundAsync(TimeSpan timeout)
    {
        try
        {
            await Task.WhenAll(_background.Keys).WaitAsync(timeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.CleanupFailed(_logger, "dispose", $"operations still running after {timeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is OperationCanceledException or KernelLaunchException)
        {
        }
    }

    private void Track(Task task)
    {
        _background.TryAdd(task, 0);
        _ = task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Creates <c>{root}/{owner}</c> (root-only) and checks that neither is a link or someone else's.</summary>
    private static string PrepareRoot(string root, string owner)
    {
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var ownerRoot = Path.Combine(root, owner);
        if (NoFollow.TryStat(ownerRoot) is null)
        {
            NoFollow.CreateDirectory(ownerRoot, 0b111_000_000, LibC.GetEUid(), LibC.GetEUid());
        }

        foreach (var path in new[] { root, ownerRoot })
        {
            var status = NoFollow.TryStat(path);
            if (status is not { IsDirectory: true } || status.Value.Uid != LibC.GetEUid() || (status.Value.Permissions & 0b000_010_010) != 0)
            {
                throw new InvalidOperationException(
                    $"{path} must be a directory owned by the gateway's user and writable by nobody else (is {status?.TypeName ?? "missing"}, uid {status?.Uid}, mode {Convert.ToString(status?.Permissions ?? 0, 8)}).");
            }
        }

        return ownerRoot;
    }

    private async Task RemoveOrphansAsync(string workspaceRoot, CancellationToken cancellationToken)
    {
        var filters = DockerFilters.ByLabel(SandboxLabels.Owner, _options.Owner);
        var containers = await _docker.Containers.ListAsync(new ContainerListParameters { All = true, Filters = filters }, cancellationToken).ConfigureAwait(false);
        foreach (var container in containers)
        {
            if (_runs.ContainsKey(container.Id))
            {
                continue;
            }

            try
            {
                await _docker.Containers.RemoveAsync(container.Id, force: true, removeVolumes: true, cancellationToken).ConfigureAwait(false);
                var instance = container.Labels is { } labels && labels.TryGetValue(SandboxLabels.Instance, out var value) ? value : "?";
                Log.OrphanRemoved(_logger, container.Id, instance);
            }
            catch (DockerNotFoundException)
            {
            }
            catch (DockerConflictException)
            {
                // Removal already in progress.
            }
        }

        var failures = SocketDirectory.Sweep(_socketRoot).Concat(SessionRegistry.Sweep(workspaceRoot)).ToList();
        if (failures.Count > 0)
        {
            Log.CleanupFailed(_logger, "orphan sweep", string.Join("; ", failures));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex KernelIdPattern();

    private static string NewRunId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static string FormatExit(long exitCode) => exitCode switch
    {
        0 => "the kernel exited",
        > 128 and < 160 => string.Create(CultureInfo.InvariantCulture, $"the kernel was killed by signal {exitCode - 128} ({SignalName((int)(exitCode - 128))})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"the kernel exited with code {exitCode}"),
    };

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
    };

    private sealed class OperationScope(CancellationTokenSource linked, TaskCompletionSource done, ConcurrentDictionary<Task, byte> background) : IDisposable
    {
        public void Dispose()
        {
            background.TryRemove(done.Task, out _);
            done.TrySetResult();
            linked.Dispose();
        }
    }
}
