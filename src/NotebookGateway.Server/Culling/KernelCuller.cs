using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using NotebookGateway.Server.Kernels;

namespace NotebookGateway.Server.Culling;

/// <summary>
/// Shuts down idle (and too old) kernels on an interval driven by the injected <see cref="TimeProvider"/>. Status and
/// kernel_info polling do not count as activity (see KernelChannels). Clients get a stderr notice saying why, then
/// their sockets close.
/// </summary>
public sealed partial class KernelCuller(GatewayKernelRegistry kernels, IOptions<CullingOptions> options, TimeProvider time, ILogger<KernelCuller> logger) : BackgroundService
{
    private static readonly Meter s_meter = new("NotebookGateway.Culling");
    private static readonly Counter<long> s_culled = s_meter.CreateCounter<long>("kernels_culled", description: "Kernels shut down by the culler, by cause.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CullingOptions settings = options.Value;
        if (settings.IdleTimeoutSeconds <= 0 && settings.MaxLifetimeSeconds <= 0 && settings.SpecIdleTimeoutSeconds.Count == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(settings.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CullOnceAsync(stoppingToken);
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
        var candidates = all.Select(k => new CullCandidate(k.Id, k.Sandbox.Spec.Name, k.Sandbox.CreatedAt, k.Channels.LastActivity, k.ExecutionState, k.Channels.Connections));
        foreach ((string id, string reason) in CullingPolicy.Select(candidates, time.GetUtcNow(), options.Value))
        {
            GatewayKernel? kernel = all.FirstOrDefault(k => k.Id == id);
            if (kernel is null)
            {
                continue;
            }
            Log.Culling(logger, id, kernel.Owner, reason);
            kernel.Channels.PublishNotice($"[the gateway shut this kernel down: {reason}]\n");
            try
            {
                await kernels.ShutdownAsync(kernel, cancellationToken);
                s_culled.Add(1, new KeyValuePair<string, object?>("cause", reason.Contains("lifetime", StringComparison.Ordinal) ? "lifetime" : "idle"));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.CullFailed(logger, id, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Culling kernel `{KernelId}` of `{Owner}`: {Reason}")]
        public static partial void Culling(ILogger logger, string kernelId, string owner, string reason);

        [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Culling kernel `{KernelId}` failed")]
        public static partial void CullFailed(ILogger logger, string kernelId, Exception exception);
    }
}
