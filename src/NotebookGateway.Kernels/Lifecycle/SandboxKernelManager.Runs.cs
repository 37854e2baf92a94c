using System.Globalization;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Kernels.Lifecycle;

public sealed partial class SandboxKernelManager
{
    /// <summary>
    /// One container for <paramref name="kernel"/>: socket directory and connection file (fresh key), create, start,
    /// wait for the sockets (checked, opened O_PATH), connect, kernel_info. Bounded by the launch timeout; on any
    /// failure everything created so far is removed before the exception leaves.
    /// </summary>
    private async Task<KernelRun> LaunchRunAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        var begin = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(_options.LaunchTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        var session = kernel.Session;
        var spec = kernel.Spec;
        var runId = NewRunId();
        var connection = ConnectionInfo.CreateIpc(SandboxPaths.SocketPrefix, spec.Name);
        var sockets = SocketDirectory.Create(_socketRoot, runId, session.Uid, session.Gid, _options, _logger);
        var run = new KernelRun(kernel, runId, connection, sockets);
        try
        {
            // The kernel reads its own view: the same key, and for tcp-only kernels tcp ports behind the relay.
            sockets.WriteConnectionFile(spec.Sandbox.Transport == KernelTransport.TcpLoopback ? LoopbackRelay.KernelSide(connection) : connection);
            var request = CreateContainerRequest(run, command: null).Build();
            var created = await _docker.Containers.CreateAsync(request, ContainerName(runId), token).ConfigureAwait(false);
            run.ContainerId = created.Id;
            _runs[created.Id] = run;
            await _docker.Containers.StartAsync(created.Id, token).ConfigureAwait(false);
            run.Counted = true;
            _metrics.RunStarted();

            run.SocketSet = await sockets.WaitForSocketsAsync(connection, _time, run.Exited.Task, token).ConfigureAwait(false);
            var socketSet = run.SocketSet;
            run.Client = await KernelClient.ConnectAsync(connection, _zmq.GetReactor(StringComparer.Ordinal.GetHashCode(kernel.Id)), new KernelClientOptions
            {
                EndpointResolver = socketSet.EndpointOf,
                Signaler = new ContainerSignaler(_docker, created.Id),
                InterruptMode = spec.InterruptMode,
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                HeartbeatTimeout = _options.HeartbeatTimeout,
                Limits = new WireLimits { MaxMessageBytes = spec.Sandbox.Envelope.MaxMessageBytes },
                TimeProvider = _time,
            }, _loggerFactory.CreateLogger(typeof(KernelClient).FullName!)).ConfigureAwait(false);

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
                var remaining = _options.LaunchTimeout - _time.GetElapsedTime(begin);
                await run.Client.WaitForReadyAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), untilExit.Token).ConfigureAwait(false);
            }

            run.StartDuration = _time.GetElapsedTime(begin);
            _metrics.StartDuration.Record(run.StartDuration.Value.TotalSeconds);
            _metrics.KernelStarts.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
            WatchHeartbeat(run);
            return run;
        }
        catch (Exception ex)
        {
            var outcome = "failed";
            Exception error = ex;
            if (ex is SandboxSecurityException security)
            {
                outcome = "refused";
                _security.Report(security.Kind, kernel.Id, run.ContainerId, security.Message);
                error = new KernelLaunchException($"Kernel {kernel.Id} was refused: {security.Message}", ex);
            }
            else if (run.Exited.Task.IsCompleted || ex is ContainerExitedException)
            {
                var exit = run.Exited.Task.IsCompletedSuccessfully ? run.Exited.Task.Result : -1;
                var logs = await TailLogsAsync(run.ContainerId).ConfigureAwait(false);
                error = new KernelLaunchException($"Kernel {kernel.Id}: the container stopped before the kernel was ready ({FormatExit(exit)}).{logs}", ex);
            }
            else if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                outcome = "timeout";
                var logs = await TailLogsAsync(run.ContainerId).ConfigureAwait(false);
                error = new KernelLaunchException($"Kernel {kernel.Id} did not become ready within {_options.LaunchTimeoutSeconds} s.{logs}", ex);
            }
            else if (ex is DockerNotFoundException notFound)
            {
                error = new KernelLaunchException($"Kernel {kernel.Id}: {notFound.EngineMessage} (is the image built? bash scripts/build-images.sh)", ex);
            }
            else if (ex is DockerException or IOException or TimeoutException)
            {
                error = new KernelLaunchException($"Kernel {kernel.Id} could not be started: {ex.Message}", ex);
            }

            _metrics.KernelStarts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
            Log.LaunchFailed(_logger, kernel.Id, outcome, ex.Message);
            await TearDownRunAsync(run, graceful: false).ConfigureAwait(false);
            if (ReferenceEquals(error, ex))
            {
                throw;
            }

            throw error;
        }
    }

    private SandboxContainerRequest CreateContainerRequest(KernelRun run, IReadOnlyList<string>? command)
    {
        var kernel = run.Kernel;
        var labels = new Dictionary<string, string>(_options.ExtraLabels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [SandboxLabels.Owner] = _options.Owner,
            [SandboxLabels.Instance] = InstanceId,
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
            Seccomp = _seccomp!,
            Options = _options,
            Command = command,
            Connection = run.Connection,
        };
    }

    private string ContainerName(string runId) => $"nbgw-{_options.Owner}-{runId}";

    /// <summary>
    /// Ends a run: optionally a shutdown_request and a grace period, then the client, the socket descriptors, the
    /// container (removed by force) and the socket directory, in that order. Idempotent and safe to race.
    /// </summary>
    private Task TearDownRunAsync(KernelRun run, bool graceful, bool restart = false) =>
        run.TearDownOnce(() => TearDownCoreAsync(run, graceful, restart));

    private async Task TearDownCoreAsync(KernelRun run, bool graceful, bool restart)
    {
        if (graceful && run.Client is { IsAlive: true } client && !run.Exited.Task.IsCompleted && _options.ShutdownGrace > TimeSpan.Zero)
        {
            using var grace = new CancellationTokenSource(_options.ShutdownGrace, _time);
            try
            {
                await client.ShutdownAsync(restart, grace.Token).ConfigureAwait(false);
                await run.Exited.Task.WaitAsync(grace.Token).ConfigureAwait(false);
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
        if (run.ContainerId is { } id)
        {
            try
            {
                await _docker.Containers.RemoveAsync(id, force: true, removeVolumes: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (DockerNotFoundException)
            {
            }
            catch (DockerException ex)
            {
                Log.CleanupFailed(_logger, "remove container " + id, ex.Message);
            }

            _runs.TryRemove(id, out _);
        }

        if (run.Counted)
        {
            run.Counted = false;
            _metrics.RunEnded();
        }

        var failures = run.Sockets.Remove();
        if (failures.Count > 0)
        {
            Log.CleanupFailed(_logger, "socket directory " + run.Sockets.HostPath, string.Join("; ", failures));
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
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            var logs = await _docker.Containers.GetLogsAsync(containerId, new ContainerLogsParameters { Tail = 15, MaxBytes = 4096 }, cts.Token).ConfigureAwait(false);
            var text = (logs.Stderr + logs.Stdout).Trim();
            return text.Length == 0 ? "" : " Last output:\n" + text;
        }
        catch (Exception ex) when (ex is DockerException or OperationCanceledException or IOException)
        {
            return "";
        }
    }

    /// <summary>The first kernel of each runtime proves the hardening from the inside; if it fails, nothing is served.</summary>
    private async Task EnsureSelfTestAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        if (!_options.SelfTest)
        {
            return;
        }

        var runtime = kernel.Spec.Sandbox.Runtime ?? "runc";
        lock (_selfTestedRuntimes)
        {
            if (_selfTestedRuntimes.Contains(runtime))
            {
                return;
            }
        }

        await _selfTestGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_selfTestedRuntimes)
            {
                if (_selfTestedRuntimes.Contains(runtime))
                {
                    return;
                }
            }

            ThrowIfRefused();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SelfTestTimeout);
            SelfTestResult result;
            try
            {
                result = string.Equals(kernel.Spec.Language, "python", StringComparison.OrdinalIgnoreCase)
                    ? await SandboxSelfTest.RunAsync(kernel.Client, kernel.Session.Uid, timeout.Token).ConfigureAwait(false)
                    : await RunProbeContainerAsync(kernel, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = new SelfTestResult([$"the probe did not finish within {SelfTestTimeout.TotalSeconds:0} s"], new Dictionary<string, string>());
            }

            LastSelfTest = result;
            if (result.Passed)
            {
                lock (_selfTestedRuntimes)
                {
                    _selfTestedRuntimes.Add(runtime);
                }

                Log.SelfTestPassed(_logger, runtime, result);
                return;
            }

            var reason = $"The sandbox self-test failed on runtime {runtime} (kernelspec {kernel.Spec.Name}): {string.Join("; ", result.Failures)}. No kernels will be served until the host is fixed and the gateway restarted.";
            _refusal = reason;
            _security.Report(SecurityEventKinds.SelfTestFailed, kernel.Id, kernel.ContainerId, reason);
            throw new SandboxSelfTestException(reason);
        }
        finally
        {
            _selfTestGate.Release();
        }
    }

    /// <summary>The self-test for kernels that are not Python: a short-lived container with the same envelope, running a shell probe.</summary>
    private async Task<SelfTestResult> RunProbeContainerAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        const string Probe = "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status; echo \"Uid: $(id -u) $(id -u)\"; "
            + "echo \"Net: $(ls /sys/class/net | tr '\\n' ' ')\"; "
            + "if setarch linux32 true 2>/dev/null; then echo 'Personality32: 0'; else echo 'Personality32: 1'; fi";
        var run = kernel.Run ?? throw new InvalidOperationException("The kernel has no run.");
        var request = CreateContainerRequest(run, ["/bin/sh", "-c", Probe]).Build();
        request = request with
        {
            Labels = new Dictionary<string, string>(request.Labels!, StringComparer.Ordinal) { [SandboxLabels.Run] = run.RunId + "-selftest" },
        };
        var created = await _docker.Containers.CreateAsync(request, ContainerName(run.RunId + "-selftest"), cancellationToken).ConfigureAwait(false);
        try
        {
            await _docker.Containers.StartAsync(created.Id, cancellationToken).ConfigureAwait(false);
            await _docker.Containers.WaitAsync(created.Id, ContainerWaitCondition.NotRunning, cancellationToken).ConfigureAwait(false);
            var logs = await _docker.Containers.GetLogsAsync(created.Id, new ContainerLogsParameters { MaxBytes = 16384 }, cancellationToken).ConfigureAwait(false);
            return SandboxSelfTest.Evaluate(logs.Stdout, kernel.Session.Uid);
        }
        finally
        {
            try
            {
                await _docker.Containers.RemoveAsync(created.Id, force: true, removeVolumes: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (DockerNotFoundException)
            {
            }
        }
    }

    private void WatchHeartbeat(KernelRun run)
    {
        var client = run.Client!;
        _ = client.Dead.ContinueWith(
            t =>
            {
                if (run.Retiring || Volatile.Read(ref _disposed) != 0)
                {
                    return;
                }

                Track(HandleRunDiedAsync(run, exitCode: null, heartbeatReason: t.Result));
            },
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// A run that died between becoming ready and being attached to its kernel was not reported (the event handler
    /// ignores runs that are not current); report it now. Runs after the kernel's lock is released.
    /// </summary>
    private void CatchUpOnDeath(KernelRun run)
    {
        if (run.Exited.Task.IsCompleted)
        {
            Track(HandleRunDiedAsync(run, run.Exited.Task.Result, heartbeatReason: null));
        }
        else if (run.Client is { IsAlive: false } client)
        {
            Track(HandleRunDiedAsync(run, exitCode: null, heartbeatReason: client.Dead.Result));
        }
    }

    /// <summary>A die or oom event of one of this owner's containers.</summary>
    private Task OnContainerEventAsync(DockerEvent item)
    {
        var id = item.Actor?.Id;
        if (id is null || !_runs.TryGetValue(id, out var run))
        {
            return Task.CompletedTask;
        }

        if (item.Action == DockerEventActions.Oom)
        {
            run.OomSeen = true;
            Log.OomEvent(_logger, run.Kernel.Id, id);
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
            Track(HandleRunDiedAsync(run, exitCode, heartbeatReason: null));
        }

        return Task.CompletedTask;
    }

    /// <summary>After the event stream was re-established: catch up on containers that died meanwhile.</summary>
    private async Task ReconcileAsync()
    {
        foreach (var run in _runs.Values.ToList())
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
                Track(HandleRunDiedAsync(run, exitCode, heartbeatReason: null));
            }
        }
    }

    /// <summary>A running kernel's container died (or its kernel stopped answering): report why, then clean up.</summary>
    private async Task HandleRunDiedAsync(KernelRun run, long? exitCode, string? heartbeatReason)
    {
        var kernel = run.Kernel;
        try
        {
            await kernel.Gate.WaitAsync(_disposing.Token).ConfigureAwait(false);
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
            Log.KernelDied(_logger, kernel.Id, run.ContainerId ?? "-", reason);
            SetState(kernel, SandboxKernelState.Dead, reason);
            await TearDownRunAsync(run, graceful: false).ConfigureAwait(false);
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

        return FormatExit(exitCode ?? state?.ExitCode ?? -1);
    }
}
