using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Egress.Policies;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Zmq;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Starts and ends runs. A launch makes the socket directory and connection file (fresh key), creates and starts the
/// container, waits for the kernel's sockets (checked, opened O_PATH), connects and waits for kernel_info, all within
/// the launch timeout; on any failure everything made so far is removed before the exception leaves. A teardown
/// removes all of it again.
/// </summary>
public sealed class RunLauncher(
    DockerClient docker,
    ZmqContext zmq,
    SandboxHost host,
    RunPlanner planner,
    RunTable runs,
    KernelMetrics metrics,
    SecurityEvents security,
    EgressProxy egress,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<RunLauncher>();
    private readonly ILogger _clientLogger = loggerFactory.CreateLogger(typeof(KernelClient).FullName!);


    /// <summary>One ready container for <paramref name="kernel"/> in its session.</summary>
    /// <exception cref="KernelLaunchException">The container could not be started, timed out, died, or was refused.</exception>
    internal async Task<KernelRun> LaunchAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        var options = host.Options;
        var begin = timeProvider.GetTimestamp();
        using var timeout = new CancellationTokenSource(options.LaunchTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        var session = kernel.Session;
        var runId = RunPlanner.NewRunId();
        var connection = RunPlanner.CreateConnection(kernel.Spec);
        SocketDirectory sockets;
        try
        {
            sockets = SocketDirectory.Create(host.SocketRoot, runId, session.Uid, session.Gid, options, _logger);
        }
        catch (IOException ex)
        {
            metrics.KernelStarts.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            throw new KernelLaunchException($"Kernel {kernel.Id}: its socket directory could not be made under {host.SocketRoot}: {ex.Message}", ex);
        }

        var run = new KernelRun(kernel, runId, connection, sockets);
        var phases = new StartPhases(timeProvider);
        try
        {
            sockets.WriteConnectionFile(RunPlanner.KernelSideConnection(kernel.Spec, connection));
            if (kernel.NetworkPolicy is { } policy)
            {
                // The gateway is the listener: the socket exists, checked, before the container can see it.
                run.Egress = egress.Listen(sockets.EgressSocketPath, kernel.Id, policy);
                sockets.CheckEgressSocket();
            }

            var request = planner.CreateContainerRequest(run).Build();
            phases.End(); // prepare
            var created = await docker.Containers.CreateAsync(request, host.ContainerName(runId), token).ConfigureAwait(false);
            run.ContainerId = created.Id;
            runs.Add(created.Id, run);
            phases.End(); // create
            await docker.Containers.StartAsync(created.Id, token).ConfigureAwait(false);
            run.Counted = true;
            metrics.RunStarted();
            if (run.Egress is { } proxy)
            {
                await ListenInContainerAsync(proxy, created.Id, token).ConfigureAwait(false);
            }

            phases.End(); // start

            run.SocketSet = await sockets.WaitForSocketsAsync(connection, timeProvider, run.Exited.Task, token).ConfigureAwait(false);
            phases.End(); // boot
            run.Client = await KernelClient.ConnectAsync(connection, zmq.GetReactor(StringComparer.Ordinal.GetHashCode(kernel.Id)),
                planner.CreateClientOptions(run, run.SocketSet, created.Id), _clientLogger).ConfigureAwait(false);
            phases.End(); // connect

            // Give up at once if the container dies while we wait for kernel_info.
            using (var untilExit = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                _ = run.Exited.Task.ContinueWith(
                    static (_, state) =>
                    {
                        try
                        {
                            ((CancellationTokenSource)state!).Cancel();
                        }
                        catch (ObjectDisposedException)
                        {
                        }
                    },
                    untilExit, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                var remaining = options.LaunchTimeout - timeProvider.GetElapsedTime(begin);
                await run.Client.WaitForReadyAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), untilExit.Token).ConfigureAwait(false);
            }

            phases.End(); // kernel_info
            run.StartDuration = timeProvider.GetElapsedTime(begin);
            run.StartPhases = phases.ToString();
            phases.Record(metrics, kernel.Spec.Name);
            metrics.StartDuration.Record(run.StartDuration.Value.TotalSeconds);
            metrics.KernelStarts.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
            return run;
        }
        catch (Exception ex)
        {
            var (outcome, error) = await ClassifyFailureAsync(run, ex, timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested).ConfigureAwait(false);
            metrics.KernelStarts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
            LifecycleLog.LaunchFailed(_logger, kernel.Id, outcome, ex.Message);
            await TearDownAsync(run, graceful: false).ConfigureAwait(false);
            if (ReferenceEquals(error, ex))
            {
                throw;
            }

            throw error;
        }
    }

    /// <summary>
    /// The egress proxy of a run taken back after a restart: the earlier process's listeners died with it, so the
    /// gateway listens again, at the same host socket name (the sandbox's bind mount keeps the dead inode, unused) and
    /// on the container's 127.0.0.1:3128, which is what the kernel's proxy variables name.
    /// </summary>
    internal async Task ListenAgainAsync(KernelRun run, EgressPolicy policy, CancellationToken cancellationToken)
    {
        _ = NoFollow.Unlink(run.Sockets.EgressSocketPath);
        run.Egress = egress.Listen(run.Sockets.EgressSocketPath, run.Kernel.Id, policy);
        run.Sockets.CheckEgressSocket();
        await ListenInContainerAsync(run.Egress, run.ContainerId!, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The proxy's port on the container's own loopback. The engine names no namespace path for a container with
    /// networking disabled, so it is its first process's; the container must still run that process afterwards (a pid
    /// that died and was reused in between could name another namespace: the gateway's own is refused outright).
    /// </summary>
    private async Task ListenInContainerAsync(EgressListener proxy, string containerId, CancellationToken cancellationToken)
    {
        var before = await docker.Containers.InspectAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (before.State is not { Running: true, Pid: > 0 } state)
        {
            throw new ContainerExitedException($"container {containerId} is not running");
        }

        await proxy.ListenInNamespaceAsync($"/proc/{state.Pid}/ns/net", EgressRelay.Port).ConfigureAwait(false);
        var after = await docker.Containers.InspectAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (after.State is not { Running: true } still || still.Pid != state.Pid || still.StartedAt != state.StartedAt)
        {
            throw new ContainerExitedException($"container {containerId} stopped while the egress port was opened");
        }
    }

    /// <summary>
    /// Ends a run: optionally a shutdown_request and a grace period, then the client, the socket descriptors, the
    /// container (removed by force) and the socket directory, in that order. Idempotent and safe to race.
    /// </summary>
    internal Task TearDownAsync(KernelRun run, bool graceful, bool restart = false) =>
        run.TearDownOnce(() => TearDownCoreAsync(run, graceful, restart));

    /// <summary>Ends every run whose container exists, at once (the manager is going away).</summary>
    internal Task TearDownAllAsync() => Task.WhenAll(runs.Snapshot().Select(run => TearDownAsync(run, graceful: false)));

    /// <summary>
    /// Lets go of every run as a killed process would: closes the clients and descriptors but leaves the containers and
    /// host state in place (for the next start to take back, or for its orphan sweep).
    /// </summary>
    internal async Task ReleaseAllAsync()
    {
        foreach (var run in runs.Snapshot())
        {
            run.Retiring = true;
            if (run.Client is { } client)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            run.SocketSet?.Dispose();
            if (run.Egress is { } proxy)
            {
                await proxy.DisposeAsync().ConfigureAwait(false);
            }
        }

        runs.Clear();
    }

    /// <summary>The metric outcome of a failed launch and the exception that tells the caller why.</summary>
    private async Task<(string Outcome, Exception Error)> ClassifyFailureAsync(KernelRun run, Exception ex, bool timedOut)
    {
        var kernelId = run.Kernel.Id;
        if (ex is SandboxSecurityException securityEvent)
        {
            security.Report(securityEvent.Kind, kernelId, run.ContainerId, securityEvent.Message);
            return ("refused", new KernelLaunchException($"Kernel {kernelId} was refused: {securityEvent.Message}", ex));
        }

        if (run.Exited.Task.IsCompleted || ex is ContainerExitedException)
        {
            var exit = run.Exited.Task.IsCompletedSuccessfully ? run.Exited.Task.Result : -1;
            var logs = await TailLogsAsync(run.ContainerId).ConfigureAwait(false);
            return ("failed", new KernelLaunchException($"Kernel {kernelId}: the container stopped before the kernel was ready ({KernelExit.Describe(exit)}).{logs}", ex));
        }

        if (timedOut)
        {
            var logs = await TailLogsAsync(run.ContainerId).ConfigureAwait(false);
            return ("timeout", new KernelLaunchException($"Kernel {kernelId} did not become ready within {host.Options.LaunchTimeoutSeconds} s.{logs}", ex));
        }

        return ex switch
        {
            DockerNotFoundException notFound => ("failed", new KernelLaunchException($"Kernel {kernelId}: {notFound.EngineMessage} (is the image built? bash scripts/build-images.sh)", ex)),
            DockerException or IOException or TimeoutException => ("failed", new KernelLaunchException($"Kernel {kernelId} could not be started: {ex.Message}", ex)),
            _ => ("failed", ex),
        };
    }

    private async Task TearDownCoreAsync(KernelRun run, bool graceful, bool restart)
    {
        var grace = host.Options.ShutdownGrace;
        if (graceful && run.Client is { IsAlive: true } client && !run.Exited.Task.IsCompleted && grace > TimeSpan.Zero)
        {
            using var graceTimeout = new CancellationTokenSource(grace, timeProvider);
            try
            {
                await client.ShutdownAsync(restart, graceTimeout.Token).ConfigureAwait(false);
                await run.Exited.Task.WaitAsync(graceTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or KernelDiedException or ObjectDisposedException or TimeoutException)
            {
                // Did not go quietly: removed by force below.
            }
        }

        if (run.Client is { } c)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }

        run.SocketSet?.Dispose();
        if (run.Egress is { } proxy)
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
        }

        if (run.ContainerId is { } id)
        {
            try
            {
                await docker.Containers.RemoveAsync(id, force: true, removeVolumes: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (DockerNotFoundException)
            {
            }
            catch (DockerException ex)
            {
                LifecycleLog.CleanupFailed(_logger, "remove container " + id, ex.Message);
            }

            runs.Remove(id);
        }

        if (run.Counted)
        {
            run.Counted = false;
            metrics.RunEnded();
        }

        var failures = run.Sockets.Remove();
        if (failures.Count > 0)
        {
            LifecycleLog.CleanupFailed(_logger, "socket directory " + run.Sockets.HostPath, string.Join("; ", failures));
        }
    }

    private async Task<string> TailLogsAsync(string? containerId)
    {
        if (containerId is null)
        {
            return "";
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), timeProvider);
            var logs = await docker.Containers.GetLogsAsync(containerId, new ContainerLogsParameters { Tail = 15, MaxBytes = 4096 }, cts.Token).ConfigureAwait(false);
            var text = (logs.Stderr + logs.Stdout).Trim();
            return text.Length == 0 ? "" : " Last output:\n" + text;
        }
        catch (Exception ex) when (ex is DockerException or OperationCanceledException or IOException)
        {
            return "";
        }
    }
}
