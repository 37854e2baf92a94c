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
public sealed class RunDeathWatcher(
    DockerClient docker,
    SandboxHost host,
    RunTable runs,
    RunLauncher launcher,
    KernelStateEvents states,
    OperationTracker operations,
    KernelMetrics metrics,
    ContainerCgroup cgroup,
    TimeProvider timeProvider,
    ILogger<RunDeathWatcher> logger) : IAsyncDisposable
{
    /// <summary>How soon after an OOM kill a SIGKILL death is put down to the memory limit.</summary>
    private static readonly TimeSpan OomAttributionWindow = TimeSpan.FromSeconds(10);

    private readonly ContainerEventWatcher _events = new(docker, host.Owner, timeProvider, logger);
    private readonly Lazy<MemoryOomNotifier> _oomKills = new(() => new MemoryOomNotifier());
    private int _stopped;

    /// <summary>Returns once the engine accepted the event subscription, so no later death can be missed.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => _events.StartAsync(OnContainerEventAsync, ReconcileAsync, cancellationToken);

    /// <summary>Stops following the engine's events (the manager stops before it removes its runs).</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _events.DisposeAsync().ConfigureAwait(false);
            if (_oomKills.IsValueCreated)
            {
                _oomKills.Value.Dispose();
            }
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>
    /// Reports the run's death when its kernel stops answering heartbeats (from the moment it is ready). On Podman, whose
    /// engine reports no OOM kills on this host, also follows the kernel's own OOM notifications for the run's cgroup.
    /// </summary>
    internal void WatchHeartbeat(KernelRun run)
    {
        if (docker.IsPodman && Volatile.Read(ref _stopped) == 0 && run.ContainerId is { } id && cgroup.MemoryV1Directory(id) is { } memory)
        {
            _ = _oomKills.Value.Watch(memory, () => OnOomKill(run, id));
        }

        var client = run.Client!;
        _ = client.Dead.ContinueWith(
            t =>
            {
                if (run.Retiring || operations.IsStopped)
                {
                    return;
                }

                operations.Track(HandleRunDiedAsync(run, exitCode: null, heartbeatReason: t.Result));
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
            operations.Track(HandleRunDiedAsync(run, run.Exited.Task.Result, heartbeatReason: null));
        }
        else if (run.Client is { IsAlive: false } client)
        {
            operations.Track(HandleRunDiedAsync(run, exitCode: null, heartbeatReason: client.Dead.Result));
        }
    }

    private void OnOomKill(KernelRun run, string containerId)
    {
        run.LastOomAt = timeProvider.GetTimestamp();
        LifecycleLog.OomEvent(logger, run.Kernel.Id, containerId);
    }

    /// <summary>A die or oom event of one of this owner's containers.</summary>
    private Task OnContainerEventAsync(DockerEvent item)
    {
        var id = item.Actor?.Id;
        if (id is null || !runs.TryGet(id, out var run))
        {
            return Task.CompletedTask;
        }

        if (item.Action == DockerEventActions.Oom)
        {
            OnOomKill(run, id);
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
            operations.Track(HandleRunDiedAsync(run, exitCode, heartbeatReason: null));
        }

        return Task.CompletedTask;
    }

    /// <summary>After the event stream was re-established: catch up on containers that died meanwhile.</summary>
    private async Task ReconcileAsync()
    {
        foreach (var run in runs.Snapshot())
        {
            if (run.Retiring || run.ContainerId is null)
            {
                continue;
            }

            var inspect = await docker.Containers.TryInspectAsync(run.ContainerId).ConfigureAwait(false);
            if (inspect?.State is { Running: true })
            {
                continue;
            }

            var exitCode = inspect?.State?.ExitCode ?? -1;
            run.Exited.TrySetResult(exitCode);
            if (ReferenceEquals(run.Kernel.Run, run))
            {
                operations.Track(HandleRunDiedAsync(run, exitCode, heartbeatReason: null));
            }
        }
    }

    /// <summary>A running kernel's container died (or its kernel stopped answering): report why, then clean up.</summary>
    private async Task HandleRunDiedAsync(KernelRun run, long? exitCode, string? heartbeatReason)
    {
        var kernel = run.Kernel;
        try
        {
            await kernel.Gate.WaitAsync(operations.Stopping).ConfigureAwait(false);
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
            kernel.DeathCause = reason.StartsWith("memory limit", StringComparison.Ordinal) ? "oom" : heartbeatReason is null ? "exit" : "heartbeat";
            metrics.KernelDeaths.Add(1, new KeyValuePair<string, object?>("cause", kernel.DeathCause));
            LifecycleLog.KernelDied(logger, kernel.Id, run.ContainerId ?? "-", reason);
            states.Set(kernel, SandboxKernelState.Dead, reason);
            await launcher.TearDownAsync(run, graceful: false).ConfigureAwait(false);
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
                inspect = await docker.Containers.TryInspectAsync(id).ConfigureAwait(false);
            }
            catch (DockerException)
            {
            }
        }

        // The engine's OOMKilled flag (like its oom event) means some process of the container was killed, maybe long
        // ago and not the kernel (a compiled program, a shell job): the death is the memory limit's only when the
        // kernel itself was killed (SIGKILL, 137) right after an OOM kill.
        var state = inspect?.State;
        var exit = exitCode ?? state?.ExitCode ?? -1;
        var oomJustBefore = run.LastOomAt is { } oomAt && timeProvider.GetElapsedTime(oomAt) < OomAttributionWindow;
        if ((exit == KernelExit.KilledBySigkill || exit == -1) && (oomJustBefore || (run.LastOomAt is null && state?.OomKilled == true)))
        {
            return string.Create(CultureInfo.InvariantCulture, $"memory limit of {run.Kernel.Envelope.MemoryMiB} MiB exceeded");
        }

        if (heartbeatReason is not null && state is { Running: true })
        {
            return $"the kernel stopped answering ({heartbeatReason})";
        }

        return KernelExit.Describe(exit);
    }
}
