using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Egress.Policies;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Kernels.State;
using NotebookGateway.Kernels.Workspaces;
using NotebookGateway.Zmq;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Takes back, at start-up, what an earlier gateway process of this owner recorded in its state directory: sessions
/// whose workspace is still mounted, and kernels whose container still runs and passes the checks of a launch (labels,
/// the socket directory and its sockets owned by the session uid, a kernel_info round trip with the stored key). A
/// kernel that does not check out keeps its id but is <see cref="SandboxKernelState.Dead"/> with the reason (a restart
/// gives it a new container in the same workspace); its container is removed. A record that was tampered with is
/// dropped and counted as a security event. What nobody took back is left for the orphan sweep.
/// </summary>
public sealed class KernelReconciler(
    DockerClient docker,
    ZmqContext zmq,
    SandboxHost host,
    KernelStateStore state,
    KernelSpecCatalog catalog,
    SessionRegistry sessions,
    RunPlanner planner,
    RunLauncher launcher,
    RunTable runs,
    NetworkPolicyResolver policies,
    ContainerCgroup cgroup,
    KernelMetrics metrics,
    SecurityEvents security,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    private const int Parallelism = 16;

    private readonly ILogger _logger = loggerFactory.CreateLogger<KernelReconciler>();
    private readonly ILogger _clientLogger = loggerFactory.CreateLogger(typeof(KernelClient).FullName!);

    /// <summary>The recorded kernels, running or dead; containers of the others are removed.</summary>
    internal async Task<IReadOnlyList<SandboxKernel>> ReconcileAsync(CancellationToken cancellationToken)
    {
        state.Open();
        var begin = timeProvider.GetTimestamp();
        var sessionRecords = state.LoadSessions();
        ReportTampered(sessionRecords);
        foreach (var dropped in sessions.Restore(sessionRecords.Where(l => l.Record is not null).Select(l => l.Record!)))
        {
            LifecycleLog.NotReadopted(_logger, "-", dropped);
        }

        var kernelRecords = state.LoadKernels();
        ReportTampered(kernelRecords);
        var records = kernelRecords.Where(l => l.Record is not null).Select(l => l.Record!).ToList();
        if (records.Count == 0)
        {
            return [];
        }

        var containers = (await docker.Containers.ListAsync(
                new ContainerListParameters { All = true, Filters = DockerFilters.ByLabel(SandboxLabels.Owner, host.Owner) }, cancellationToken).ConfigureAwait(false))
            .ToDictionary(c => c.Id, StringComparer.Ordinal);
        var kernels = new List<SandboxKernel>();
        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (record, token) =>
            {
                if (await TakeBackAsync(record, containers, token).ConfigureAwait(false) is { } kernel)
                {
                    lock (kernels)
                    {
                        kernels.Add(kernel);
                    }
                }
            }).ConfigureAwait(false);
        var running = kernels.Count(k => k.State == SandboxKernelState.Running);
        var elapsed = timeProvider.GetElapsedTime(begin);
        LifecycleLog.Readopted(_logger, running, kernels.Count - running, records.Count - kernels.Count, elapsed.TotalMilliseconds);
        return kernels;
    }

    private async Task<SandboxKernel?> TakeBackAsync(KernelRecord record, IReadOnlyDictionary<string, ContainerSummary> containers, CancellationToken cancellationToken)
    {
        var session = sessions.FindByKey(record.SessionKey);
        KernelSpec? spec = null;
        try
        {
            spec = await catalog.GetAsync(record.SpecName, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelSpecNotFoundException)
        {
        }

        EgressPolicy? networkPolicy = null;
        string? policyProblem = null;
        try
        {
            networkPolicy = spec is not null && record.NetworkPolicy is { } policy ? policies.Resolve(spec, policy) : null;
        }
        catch (KernelLaunchException ex)
        {
            policyProblem = $"its network policy '{record.NetworkPolicy}' is no longer allowed: {ex.Message}";
        }

        if (session is null || spec is null || policyProblem is not null)
        {
            var reason = session is null ? "its session's workspace is gone" : spec is null ? $"its kernelspec '{record.SpecName}' no longer exists" : policyProblem!;
            await RemoveRunAsync(record, reason).ConfigureAwait(false);
            Forget(record.KernelId);
            return null;
        }

        var kernel = new SandboxKernel(record.KernelId, spec, record.Environment, record.CreatedAt, cgroup)
        {
            NetworkPolicy = networkPolicy,
            Session = session,
            Generation = record.Generation,
            WarmStart = record.WarmStart,
            Annotations = record.Annotations,
        };
        sessions.CountKernel(session);
        string? problem = record.Run is null ? record.DeathReason ?? "it was dead when the gateway stopped" : null;
        if (record.Run is { } runRecord)
        {
            try
            {
                kernel.Run = await AdoptRunAsync(kernel, runRecord, containers, cancellationToken).ConfigureAwait(false);
                kernel.State = SandboxKernelState.Running;
                return kernel;
            }
            catch (Exception ex) when (ex is ReadoptRefusedException or DockerException or IOException)
            {
                // DockerException: the container went away between the listing and the inspect, or the engine failed.
                problem = "not taken back after the gateway restarted: " + ex.Message;
                if ((ex as ReadoptRefusedException)?.SecurityKind is { } kind)
                {
                    security.Report(kind, record.KernelId, runRecord.ContainerId, ex.Message);
                }

                await RemoveRunAsync(record, ex.Message).ConfigureAwait(false);
            }
        }

        (kernel.State, kernel.DeathReason, kernel.DeathCause) = (SandboxKernelState.Dead, problem, "readopt");
        return kernel;
    }

    /// <summary>The recorded run, checked as a launch checks a new one; every descriptor it opened is closed if it fails.</summary>
    private async Task<KernelRun> AdoptRunAsync(SandboxKernel kernel, RunRecord record, IReadOnlyDictionary<string, ContainerSummary> containers, CancellationToken cancellationToken)
    {
        if (!containers.TryGetValue(record.ContainerId, out var summary))
        {
            throw new ReadoptRefusedException($"its container {record.ContainerId} is gone", null);
        }

        var expected = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SandboxLabels.Owner] = host.Owner,
            [SandboxLabels.Kernel] = kernel.Id,
            [SandboxLabels.Session] = kernel.Session.Key,
            [SandboxLabels.Run] = record.RunId,
        };
        foreach (var (label, value) in expected)
        {
            if (summary.Labels?.GetValueOrDefault(label) != value)
            {
                throw new ReadoptRefusedException($"its container's label {label} is '{summary.Labels?.GetValueOrDefault(label)}', not '{value}'", SecurityEventKinds.ReadoptRefused);
            }
        }

        var inspect = await docker.Containers.InspectAsync(record.ContainerId, cancellationToken).ConfigureAwait(false);
        if (inspect.State is not { Running: true })
        {
            throw new ReadoptRefusedException($"its container stopped ({KernelExit.Describe(inspect.State?.ExitCode ?? -1)})", null);
        }

        SocketDirectory sockets;
        KernelSocketSet socketSet;
        try
        {
            sockets = SocketDirectory.Reattach(host.SocketRoot, record.RunId, kernel.Session.Uid, kernel.Session.Gid, record.SocketTmpfs, _logger);
            socketSet = sockets.OpenExisting(record.Connection);
        }
        catch (SandboxSecurityException ex)
        {
            throw new ReadoptRefusedException(ex.Message, ex.Kind);
        }

        var run = new KernelRun(kernel, record.RunId, record.Connection, sockets) { ContainerId = record.ContainerId, SocketSet = socketSet };
        try
        {
            run.Client = await KernelClient.ConnectAsync(record.Connection, zmq.GetReactor(StringComparer.Ordinal.GetHashCode(kernel.Id)),
                planner.CreateClientOptions(run, socketSet, record.ContainerId), _clientLogger).ConfigureAwait(false);
            await ProveKeyAsync(run.Client, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or KernelDiedException && !cancellationToken.IsCancellationRequested)
        {
            await ReleaseAsync(run).ConfigureAwait(false);
            throw new ReadoptRefusedException($"it did not answer kernel_info with its stored key within {host.Options.ReadoptTimeoutSeconds} s", SecurityEventKinds.ReadoptRefused);
        }

        if (kernel.NetworkPolicy is { } policy)
        {
            try
            {
                await launcher.ListenAgainAsync(run, policy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or SandboxSecurityException or ContainerExitedException or DockerException)
            {
                await ReleaseAsync(run).ConfigureAwait(false);
                throw new ReadoptRefusedException("its egress proxy could not listen again: " + ex.Message, (ex as SandboxSecurityException)?.Kind);
            }
        }

        runs.Add(record.ContainerId, run);
        run.Counted = true;
        metrics.RunStarted();
        return run;
    }

    /// <summary>
    /// A signed kernel_info_reply under the stored key, asked on control and shell at once: a kernel busy with a cell
    /// (one that was running when the earlier process ended) answers on control (ipykernel's control thread); others
    /// answer on shell once idle. Neither within the timeout: not taken back.
    /// </summary>
    private async Task ProveKeyAsync(KernelClient client, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(host.Options.ReadoptTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        Task<JupyterMessage>[] asked =
        [
            client.RequestAsync(client.CreateMessage(new KernelInfoRequest()), MessageChannel.Control, null, linked.Token),
            client.RequestAsync(client.CreateMessage(new KernelInfoRequest()), MessageChannel.Shell, null, linked.Token),
        ];
        var first = await Task.WhenAny(asked).ConfigureAwait(false);
        if (!first.IsCompletedSuccessfully)
        {
            first = asked.Single(t => t != first);
        }

        try
        {
            await first.ConfigureAwait(false);
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false); // the other request is not waited for
            await Task.WhenAll(asked).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Lets go of what a refused run opened (the container itself is removed by the caller).</summary>
    private static async Task ReleaseAsync(KernelRun run)
    {
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

    /// <summary>Removes a recorded run's container (only if it is really this owner's) and its socket directory.</summary>
    private async Task RemoveRunAsync(KernelRecord record, string reason)
    {
        LifecycleLog.NotReadopted(_logger, record.KernelId, reason);
        if (record.Run is not { } run)
        {
            return;
        }

        try
        {
            var inspect = await docker.Containers.TryInspectAsync(run.ContainerId).ConfigureAwait(false);
            // Only the container the record's kernel really ran in: a record naming another kernel's must not remove it.
            if (inspect?.Config?.Labels is { } labels && labels.GetValueOrDefault(SandboxLabels.Owner) == host.Owner
                && labels.GetValueOrDefault(SandboxLabels.Kernel) == record.KernelId)
            {
                await docker.Containers.RemoveAsync(run.ContainerId, force: true, removeVolumes: true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (DockerException ex)
        {
            LifecycleLog.CleanupFailed(_logger, "remove container " + run.ContainerId, ex.Message);
        }
    }

    private void ReportTampered<T>(IEnumerable<Loaded<T>> loaded) where T : class
    {
        foreach (var refused in loaded.Where(l => l.Problem is not null))
        {
            security.Report(SecurityEventKinds.StateTampered, refused.Name, null, refused.Problem!);
        }
    }

    private void Forget(string kernelId)
    {
        try
        {
            state.DeleteKernel(kernelId);
        }
        catch (IOException ex)
        {
            LifecycleLog.CleanupFailed(_logger, "state of kernel " + kernelId, ex.Message);
        }
    }
}

/// <summary>A recorded kernel that cannot be taken back; <see cref="SecurityKind"/> when that points to tampering.</summary>
internal sealed class ReadoptRefusedException(string message, string? securityKind) : Exception(message)
{
    public string? SecurityKind { get; } = securityKind;
}
