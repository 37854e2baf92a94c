using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Admission;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Monitoring;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// The gateway's kernels: starts them through the sandbox manager and keeps each one's client channels
/// following its lifecycle (bound to the new client after a restart; restarting/dead told to clients).
/// Lookups are per owner: another user's kernel does not exist for you.
/// </summary>
public sealed partial class GatewayKernelRegistry : IDisposable
{
    /// <summary>The kernel's owner, recorded with it so that a restarted gateway gives it back to the same user.</summary>
    public const string OwnerAnnotation = "owner";

    /// <summary>The kernel's culling clock (ISO 8601), recorded at each culling pass and at a stop that keeps kernels.</summary>
    public const string LastActivityAnnotation = "last_activity";

    /// <summary>The lease a kernel was started with, in seconds (<see cref="KernelLeases"/>), for the next start.</summary>
    public const string LeaseAnnotation = "lease_seconds";

    private readonly ConcurrentDictionary<string, GatewayKernel> _kernels = new(StringComparer.Ordinal);
    private readonly SandboxKernelManager _manager;
    private readonly KernelSpecCatalog _catalog;
    private readonly KernelQuotas _quotas;
    private readonly KernelSpecAccess _access;
    private readonly GatewayRateLimiter _rateLimiter;
    private readonly AdmissionRules _admission;
    private readonly ChannelOptions _channelOptions;
    private readonly ExecutionServices _executions;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;

    public GatewayKernelRegistry(SandboxKernelManager manager, KernelSpecCatalog catalog, KernelQuotas quotas,
        IOptions<ChannelOptions> channelOptions, TimeProvider time, ILoggerFactory loggers, KernelSpecAccess access, GatewayRateLimiter rateLimiter,
        ExecutionServices executions, AdmissionRules admission)
    {
        _access = access;
        _admission = admission;
        _rateLimiter = rateLimiter;
        _manager = manager;
        _catalog = catalog;
        _quotas = quotas;
        _channelOptions = channelOptions.Value;
        _executions = executions;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<GatewayKernelRegistry>();
        _manager.KernelStateChanged += OnStateChanged;
        _executions.Metrics.Observe(() => _kernels.Values);
    }

    public SandboxKernelManager Manager => _manager;

    /// <exception cref="QuotaExceededException">The owner (or the gateway) is at a limit; nothing was started.</exception>
    /// <exception cref="KernelSpecAccessDeniedException">The owner may not use the spec.</exception>
    /// <exception cref="RateLimitExceededException">The owner starts kernels too fast.</exception>
    public async Task<GatewayKernel> StartAsync(KernelStartRequest request, string owner, CancellationToken cancellationToken)
    {
        KernelSpec spec = await _catalog.GetAsync(request.SpecName, cancellationToken).ConfigureAwait(false);
        if (_access.Refusal(owner, spec.Name) is { } denied)
        {
            throw new KernelSpecAccessDeniedException(denied);
        }
        if (_rateLimiter.TryStartKernel(owner) is { } limited)
        {
            throw new RateLimitExceededException(limited);
        }
        // The slot is taken before the container exists, so concurrent starts cannot overshoot a limit.
        string kernelId = request.KernelId ?? Guid.NewGuid().ToString();
        if (_quotas.TryReserveKernel(kernelId, owner, spec.Sandbox.Envelope.MemoryMiB, spec.Sandbox.Envelope.Cpus) is { } refusal)
        {
            throw new QuotaExceededException(refusal);
        }
        string workspaceId = request.SessionId ?? ImplicitWorkspace(kernelId);
        if (_quotas.TryReserveWorkspace(workspaceId, owner, spec.Sandbox.Envelope.WorkspaceBytes, out bool newWorkspace) is { } diskRefusal)
        {
            _quotas.ReleaseKernel(kernelId);
            throw new QuotaExceededException(diskRefusal);
        }
        SandboxKernel sandbox;
        try
        {
            // The network policy comes from the configuration alone; whatever the request carried is replaced.
            sandbox = await _manager.StartKernelAsync(request with
            {
                KernelId = kernelId,
                NetworkPolicy = _access.NetworkPolicyFor(owner, spec),
                Annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [OwnerAnnotation] = owner },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _quotas.ReleaseKernel(kernelId);
            if (newWorkspace)
            {
                _quotas.ReleaseWorkspace(workspaceId);
            }
            throw;
        }
        return Register(sandbox, owner, lastActivity: null);
    }

    /// <summary>
    /// Takes back a kernel the sandbox manager re-adopted after a restart: its owner and culling clock come from what the
    /// gateway recorded with it, and its quota slots are taken again whatever the limits now (it already runs). A
    /// kernel without a recorded owner is shut down. Running ones are bound at once; dead ones keep their reason.
    /// </summary>
    public async Task<GatewayKernel?> AdoptAsync(SandboxKernel sandbox, CancellationToken cancellationToken)
    {
        if (sandbox.Annotations.GetValueOrDefault(OwnerAnnotation) is not { Length: > 0 } owner)
        {
            await _manager.ShutdownKernelAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
            return null;
        }
        _quotas.TryReserveKernel(sandbox.Id, owner, sandbox.Envelope.MemoryMiB, sandbox.Envelope.Cpus, force: true);
        _quotas.TryReserveWorkspace(sandbox.Session.Id, owner, sandbox.Envelope.WorkspaceBytes, out _, force: true);
        DateTimeOffset? lastActivity = sandbox.Annotations.GetValueOrDefault(LastActivityAnnotation) is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset parsed) ? parsed : null;
        return Register(sandbox, owner, lastActivity);
    }

    /// <summary>Records every kernel's culling clock that moved since it was last recorded (for the next start).</summary>
    public void RecordActivity()
    {
        foreach (GatewayKernel kernel in _kernels.Values)
        {
            Annotate(kernel, LastActivityAnnotation, kernel.LastActivity.ToString("O", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Records a kernel's lease with it, so that the next start holds it to its lease again.</summary>
    public void RecordLease(string kernelId, int seconds)
    {
        if (_kernels.TryGetValue(kernelId, out GatewayKernel? kernel))
        {
            Annotate(kernel, LeaseAnnotation, seconds.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The lease recorded with a kernel taken back after a restart; null when it had none.</summary>
    public static int? RecordedLease(GatewayKernel kernel) =>
        kernel.Sandbox.Annotations.GetValueOrDefault(LeaseAnnotation) is { } text
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) ? seconds : null;

    /// <summary>
    /// Sets one annotation and keeps the others (the owner, the culling clock, the lease); the state file is written only
    /// when the value changed (a kernel taken back holds its recorded lease again without rewriting it).
    /// </summary>
    private void Annotate(GatewayKernel kernel, string key, string value)
    {
        if (kernel.Sandbox.Annotations.GetValueOrDefault(key) == value)
        {
            return;
        }

        var annotations = new Dictionary<string, string>(kernel.Sandbox.Annotations, StringComparer.Ordinal)
        {
            [OwnerAnnotation] = kernel.Owner,
            [key] = value,
        };
        _manager.Annotate(kernel.Id, annotations);
    }

    private GatewayKernel Register(SandboxKernel sandbox, string owner, DateTimeOffset? lastActivity)
    {
        var channels = new KernelChannels(sandbox.Id, _executions.ChannelOptionsFor(owner, _channelOptions), _time, _loggers.CreateLogger<KernelChannels>(),
            // The rate first: it bounds how often the rules' regular expressions run for one user.
            [new ExecuteRateGate(_rateLimiter, owner, _time), _admission.For(owner, sandbox.Spec.Name)]);
        if (lastActivity is { } recorded)
        {
            channels.RestoreLastActivity(recorded);
        }
        var kernel = new GatewayKernel(sandbox, channels, owner);
        AttachMonitor(kernel);
        _kernels[sandbox.Id] = kernel;
        if (sandbox.State == SandboxKernelState.Running)
        {
            channels.Bind(sandbox.Client);
        }
        return kernel;
    }

    public bool TryGet(string kernelId, string owner, out GatewayKernel kernel)
    {
        if (_kernels.TryGetValue(kernelId, out GatewayKernel? found) && found.Owner == owner)
        {
            kernel = found;
            return true;
        }
        kernel = null!;
        return false;
    }

    public IReadOnlyList<GatewayKernel> List(string owner) =>
        _kernels.Values.Where(k => k.Owner == owner).OrderBy(k => k.Sandbox.CreatedAt).ToList();

    public IReadOnlyCollection<GatewayKernel> All => _kernels.Values.ToList();

    /// <summary>A kernel by id whoever owns it (for the gateway's own bookkeeping, never for a client's request).</summary>
    public GatewayKernel? Find(string kernelId) => _kernels.GetValueOrDefault(kernelId);

    public Task InterruptAsync(GatewayKernel kernel, CancellationToken cancellationToken) =>
        _manager.InterruptKernelAsync(kernel.Id, cancellationToken);

    /// <summary>Restarts in a new container; returns once the new kernel answered kernel_info.</summary>
    public async Task RestartAsync(GatewayKernel kernel, CancellationToken cancellationToken)
    {
        SandboxKernel sandbox = await _manager.RestartKernelAsync(kernel.Id, cancellationToken).ConfigureAwait(false);
        if (sandbox.State == SandboxKernelState.Running)
        {
            kernel.Channels.Bind(sandbox.Client);
        }
    }

    public async Task ShutdownAsync(GatewayKernel kernel, CancellationToken cancellationToken)
    {
        if (!Forget(kernel))
        {
            return;
        }
        try
        {
            await _manager.ShutdownKernelAsync(kernel.Id, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await kernel.Channels.CloseAllAsync("the kernel was shut down").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The gateway stops a kernel for <paramref name="reason"/> (a stop rule): every client is told (a notice in the
    /// running cell, then a dead status with the reason), then it is shut down as a client's request would.
    /// </summary>
    public async Task StopForAsync(string kernelId, string reason, CancellationToken cancellationToken)
    {
        if (!_kernels.TryGetValue(kernelId, out GatewayKernel? kernel))
        {
            return;
        }
        kernel.Channels.PublishCellNotice(kernel.Channels.Executions?.RunningCellHeader ?? ReadOnlyMemory<byte>.Empty, $"[{reason}]\n");
        kernel.Channels.PublishLifecycleStatus(ExecutionStates.Dead, reason);
        await ShutdownAsync(kernel, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends a notebook session's workspace (its kernels are shut down first) and gives its disk quota back.</summary>
    public async Task EndWorkspaceAsync(string workspaceId, CancellationToken cancellationToken)
    {
        try
        {
            await _manager.EndSessionAsync(workspaceId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _quotas.ReleaseWorkspace(workspaceId);
        }
    }

    public void Dispose() => _manager.KernelStateChanged -= OnStateChanged;

    /// <summary>The quota key of the workspace a kernel started without a session gets (it ends with the kernel).</summary>
    private static string ImplicitWorkspace(string kernelId) => "kernel:" + kernelId;

    /// <summary>Execution limits for the kernel: a cell over a limit is interrupted, then the kernel restarted.</summary>
    private void AttachMonitor(GatewayKernel kernel) =>
        kernel.Channels.Executions = _executions.CreateMonitor(kernel.Sandbox, kernel.Owner, kernel.Channels,
            interrupt: () => InterruptAsync(kernel, CancellationToken.None),
            restart: () => RestartAsync(kernel, CancellationToken.None));

    /// <summary>
    /// Removes a kernel that is going away (shut down, or stopped on its own) and gives back everything it held: its
    /// quota slots and its execution monitor. False when another path removed it first.
    /// </summary>
    private bool Forget(GatewayKernel kernel)
    {
        if (!_kernels.TryRemove(kernel.Id, out _))
        {
            return false;
        }
        _quotas.ReleaseKernel(kernel.Id);
        _quotas.ReleaseWorkspace(ImplicitWorkspace(kernel.Id));
        kernel.Channels.Executions?.OnKernelReset();
        kernel.Channels.Executions?.Dispose();
        return true;
    }

    private void OnStateChanged(object? sender, KernelStateChangedEventArgs e)
    {
        if (!_kernels.TryGetValue(e.Kernel.Id, out GatewayKernel? kernel))
        {
            return; // still starting (StartAsync binds it) or already removed
        }
        try
        {
            switch (e.State)
            {
                case SandboxKernelState.Running:
                    kernel.Channels.Bind(e.Kernel.Client);
                    break;
                case SandboxKernelState.Restarting:
                    kernel.Channels.Unbind();
                    kernel.Channels.Executions?.OnKernelReset();
                    kernel.Channels.PublishLifecycleStatus(ExecutionStates.Restarting);
                    break;
                case SandboxKernelState.Dead:
                    kernel.Channels.Unbind();
                    kernel.Channels.Executions?.OnKernelReset();
                    kernel.Channels.PublishLifecycleStatus(ExecutionStates.Dead, e.Reason);
                    Log.KernelDied(_logger, e.Kernel.Id, e.Reason ?? "unknown");
                    if (e.Kernel.DeathCause == "oom")
                    {
                        _executions.Timeline?.Record(new SignalSource(kernel.Id, kernel.Owner, kernel.Sandbox.Spec.Name), SignalKinds.OutOfMemory, $"the kernel died: {e.Reason}");
                    }
                    break;
                case SandboxKernelState.Stopped:
                    if (Forget(kernel))
                    {
                        _ = CloseChannelsAsync(kernel, "the kernel stopped"); // not awaited: handlers must not block
                    }
                    break;
            }
        }
        catch (InvalidOperationException)
        {
            // The run changed again while we looked at it; the next event brings the final state.
        }
    }

    /// <summary>Closes every transport of a kernel that went away; nobody awaits this, so a failure is logged here.</summary>
    private async Task CloseChannelsAsync(GatewayKernel kernel, string reason)
    {
        try
        {
            await kernel.Channels.CloseAllAsync(reason).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.CloseFailed(_logger, kernel.Id, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` died: {Reason}")]
        public static partial void KernelDied(ILogger logger, string kernelId, string reason);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Kernel `{KernelId}`: closing its client connections failed")]
        public static partial void CloseFailed(ILogger logger, string kernelId, Exception exception);
    }
}
