using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Quotas;

namespace NotebookGateway.Server.Culling;

/// <summary>
/// Shuts down idle (and too old) kernels on an interval driven by the injected <see cref="TimeProvider"/>. Idle and busy
/// are the gateway's own view (client requests, outstanding cells, the sandbox's CPU from its cgroup), never the status
/// the kernel publishes; kernel_info polling and kernel output do not count as activity. Clients get a stderr notice saying why, then
/// their sockets close.
/// </summary>
public sealed partial class KernelCuller(GatewayKernelRegistry kernels, IOptions<CullingOptions> options, TimeProvider time, ILogger<KernelCuller> logger,
    SessionStore sessions, KernelQuotas quotas, IMeterFactory meterFactory) : BackgroundService
{
    public const string MeterName = "NotebookGateway.Culling";

    private readonly SessionRetention _retention = new(time);

    // The host's factory owns the meter (one per name, so both counters share it).
    private readonly Counter<long> _sessionsRemoved = meterFactory.Create(MeterName)
        .CreateCounter<long>("sessions_expired", description: "Notebook sessions removed after their retention time without a kernel.");

    private readonly Counter<long> _culled = meterFactory.Create(MeterName)
        .CreateCounter<long>("kernels_culled", description: "Kernels shut down by the culler, by cause.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CullingOptions settings = options.Value;
        if (settings.IdleTimeoutSeconds <= 0 && settings.MaxLifetimeSeconds <= 0 && settings.SpecIdleTimeoutSeconds.Count == 0
            && settings.SessionRetentionSeconds <= 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(settings.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CullOnceAsync(stoppingToken);
                await RemoveKernellessSessionsAsync(stoppingToken);
                kernels.RecordActivity(); // for a restarted gateway: its culling clocks go on from here
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass; public so tests can drive it on a virtual clock.</summary>
    public async Task CullOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyCollection<GatewayKernel> all = kernels.All;
        var candidates = all.Select(k => new CullCandidate(k.Id, k.Sandbox.Spec.Name, k.Sandbox.CreatedAt, k.LastActivity, k.GatewayExecutionState, k.Channels.Connections));
        var culls = CullingPolicy.Select(candidates, time.GetUtcNow(), options.Value)
            .Select(c => (Kernel: all.FirstOrDefault(k => k.Id == c.Id), c.Reason))
            .Where(c => c.Kernel is not null)
            .ToList();
        // Shutdowns wait on the engine (stop, remove): a few at once empties a gateway of idle kernels several times faster.
        await Parallel.ForEachAsync(culls, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Parallelism, CancellationToken = cancellationToken },
            async (cull, ct) =>
            {
                GatewayKernel kernel = cull.Kernel!;
                Log.Culling(logger, kernel.Id, kernel.Owner, cull.Reason);
                kernel.Channels.PublishNotice($"[the gateway shut this kernel down: {cull.Reason}]\n");
                try
                {
                    await kernels.ShutdownAsync(kernel, ct);
                    _culled.Add(1, new KeyValuePair<string, object?>("cause", cull.Reason.Contains("lifetime", StringComparison.Ordinal) ? "lifetime" : "idle"));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.CullFailed(logger, kernel.Id, ex);
                }
            });
    }

    /// <summary>
    /// Removes notebook sessions that have had no live kernel for <see cref="CullingOptions.SessionRetentionSeconds"/>,
    /// with their workspaces (and their quota); public so tests can drive it on a virtual clock.
    /// </summary>
    public async Task RemoveKernellessSessionsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<SessionRecord> all = sessions.All;
        IReadOnlyList<string> expired = _retention.Expired(
            all.Select(s => (s.Id, s.KernelId is { } id && kernels.TryGet(id, s.Owner, out GatewayKernel k) && k.Sandbox.State is not (SandboxKernelState.Dead or SandboxKernelState.Stopped))),
            TimeSpan.FromSeconds(options.Value.SessionRetentionSeconds));
        foreach (SessionRecord session in all.Where(s => expired.Contains(s.Id)))
        {
            if (!sessions.Remove(session.Id))
            {
                continue; // deleted meanwhile
            }
            Log.SessionRemoved(logger, session.Id, session.Owner, options.Value.SessionRetentionSeconds);
            quotas.ReleaseSession(session.Id);
            try
            {
                if (session.KernelId is { } kernelId && kernels.TryGet(kernelId, session.Owner, out GatewayKernel dead))
                {
                    await kernels.ShutdownAsync(dead, cancellationToken);
                }
                await kernels.EndWorkspaceAsync(session.WorkspaceKey, cancellationToken);
                _sessionsRemoved.Add(1);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.SessionRemovalFailed(logger, session.Id, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "Removing session `{SessionId}` of `{Owner}`: no kernel for {RetentionSeconds} s")]
        public static partial void SessionRemoved(ILogger logger, string sessionId, string owner, int retentionSeconds);

        [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "Removing the workspace of session `{SessionId}` failed")]
        public static partial void SessionRemovalFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Culling kernel `{KernelId}` of `{Owner}`: {Reason}")]
        public static partial void Culling(ILogger logger, string kernelId, string owner, string reason);

        [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Culling kernel `{KernelId}` failed")]
        public static partial void CullFailed(ILogger logger, string kernelId, Exception exception);
    }
}
