using System.Globalization;
using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Notices when a running kernel dies without being asked to: <c>die</c> and <c>oom</c> events of the owner's
/// containers (with a catch-up after the event stream was re-established) and the kernel's heartbeat. A death is
/// described (memory limit, signal, exit code, no answer), the kernel becomes <see cref="SandboxKernelState.Dead"/>
/// and the dead run is removed at once.
/// </summary>
public sealed class RunDeathWatcher : IAsyncDisposable
{
    private readonly DockerClient _docker;
    private readonly RunTable _runs;
    private readonly RunLauncher _launcher;
    private readonly KernelStateEvents _states;
    private readonly OperationTracker _operations;
    private readonly KernelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ContainerEventWatcher _events;
    private int _stopped;

    public RunDeathWatcher(
        DockerClient docker,
        SandboxHost host,
        RunTable runs,
        RunLauncher launcher,
        KernelStateEvents states,
        OperationTracker operations,
        KernelMetrics metrics,
        TimeProvider timeProvider,
        ILogger<RunDeathWatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(host);
        _docker = docker;
        _runs = runs;
        _launcher = launcher;
        _states = states;
        _operations = operations;
        _metrics = metrics;
        _logger = logger;
        _events = new ContainerEventWatcher(docker, host.Owner, OnContainerEventAsync, ReconcileAsync, timeProvider, logger);
    }

    /// <summary>Returns once the engine accepted the event subscription, so no later death can be missed.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => _events.StartAsync(cancellationToken);

    /// <summary>Stops following the engine's events (the manager stops before it removes its runs).</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _events.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>Reports the run's death when its kernel stops answering heartbeats (from the moment it is ready).</summary>
    internal void WatchHeartbeat(KernelRun run)
    {
        var client = run.Client!;
        _ = client.Dead.ContinueWith(
            t =>
            {
                if (run.Retiring || _operations.IsStopped)
                {
                    return;
                }

                _operations.Track(HandleRunDiedAsync(run, exitCode: null, heartbeatReason: t.Result));
            },
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// A run that died between becoming ready and being attached to its kernel was not reported (the event handler
    /// ignores runs that are not current); report it now. Call after the kernel's lock is released.
    /// </summary>
    internal void CatchUp(KernelRun run)
    {
        if (run.Exited.Task.IsCompleted)
        {
            _operations.Track(HandleRunDiedAsync(run, run.Exited.Task.Result, heartbeatReason: null));
        }
        else if (run.Client is { IsAlive: false } client)
        {
            _operations.Track(HandleRunDiedAsync(run, exitCode: null, heartbeatReason: client.Dead.Result));
        }
    }

    /// <summary>A die or oom event of one of this owner's containers.</summary>
    private Task OnContainerEventAsync(DockerEvent item)
    {
        var id = item.Actor?.Id;
        if (id is null || !_runs.TryGet(id, out var run))
        {
            return Task.CompletedTask;
        }

        if (item.Action == DockerEventActions.Oom)
        {
            run.OomSeen = true;
            LifecycleLog.OomEvent(_logger, run.Kernel.Id, id);
            return Task.CompletedTask;
        }

        if (item.Action != DockerEventActions.Die)
        {
            return Task.CompletedTask;
        }

        var exitCode = item.Actor?.Attributes?.TryGetValue("exitCode", out var text) == true
            && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : -1;
        run.Exited.TrySetResult(exitCode);
        if (!run.Retiring && ReferenceEquals(run.Kernel.Run, run))
        {
            // Not on the event loop: the handler takes the kernel's lock.
            _operations.Track(HandleRunDiedAsync(run, exitCode, heartbeatReason: null));
        }

        return Task.CompletedTask;
    }

    /// <summary>After the event stream was re-established: catch up on containers that died meanwhile.</summary>
    private async Task ReconcileAsync()
    {
        foreach (var run in _runs.Snapshot())
        {
            if (run.Retiring || run.ContainerId is null)
            {
                continue;
            }

            var inspect = await _docker.Containers.TryInspectAsync(run.ContainerId).ConfigureAwait(false);
            if (inspect?.State is { Running: true })
            {
                continue;
            }

            var exitCode = inspect?.State?.ExitCode ?? -1;
            run.Exited.TrySetResult(exitCode);
            if (ReferenceEquals(run.Kernel.Run, run))
            {
                _operations.Track(HandleRunDiedAsync(run, exitCode, heartbeatReason: null));
            }
        }
    }

    /// <summary>A running kernel's container died (or its kernel stopped answering): report why, then clean up.</summary>
    private async Task HandleRunDiedAsync(KernelRun run, long? exitCode, string? heartbeatReason)
    {
        var kernel = run.Kernel;
        try
        {
            await kernel.Gate.WaitAsync(_operations.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (run.Retiring || !ReferenceEquals(kernel.Run, run) || kernel.State != SandboxKernelState.Running)
            {
                return;
            }

            var reason = await DescribeDeathAsync(run, exitCode, heartbeatReason).ConfigureAwait(false);
            kernel.Run = null;
            kernel.DeathReason = reason;
            var cause = reason.StartsWith("memory limit", StringComparison.Ordinal) ? "oom" : heartbeatReason is null ? "exit" : "heartbeat";
            _metrics.KernelDeaths.Add(1, new KeyValuePair<string, object?>("cause", cause));
            LifecycleLog.KernelDied(_logger, kernel.Id, run.ContainerId ?? "-", reason);
            _states.Set(kernel, SandboxKernelState.Dead, reason);
            await _launcher.TearDownAsync(run, graceful: false).ConfigureAwait(false);
        }
        finally
        {
            kernel.Gate.Release();
        }
    }

    private async Task<string> DescribeDeathAsync(KernelRun run, long? exitCode, string? heartbeatReason)
    {
        ContainerInspectResponse? inspect = null;
        if (run.ContainerId is { } id)
        {
            try
            {
                inspect = await _docker.Containers.TryInspectAsync(id).ConfigureAwait(false);
            }
            catch (DockerException)
            {
            }
        }

        var state = inspect?.State;
        if (state?.OomKilled == true || run.OomSeen)
        {
            return string.Create(CultureInfo.InvariantCulture, $"memory limit of {run.Kernel.Envelope.MemoryMiB} MiB exceeded");
        }

        if (heartbeatReason is not null && state is { Running: true })
        {
            return $"the kernel stopped answering ({heartbeatReason})";
        }

        return KernelExit.Describe(exitCode ?? state?.ExitCode ?? -1);
    }
}
