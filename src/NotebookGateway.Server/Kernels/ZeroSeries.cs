using NotebookGateway.Kernels.Observation;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Server.Monitoring;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.RateLimiting;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// At start, after the exporter listens: the counters whose label values are known in advance (signal kinds per
/// kernelspec, quota rejection, rate limit, timeout and forged-message kinds) are exported at 0, so an alert on <c>increase()</c> fires on the very first event
/// instead of waiting for a series to appear.
/// </summary>
public sealed class ZeroSeries(SignalMetrics signals, KernelQuotas quotas, RateLimitMetrics rateLimits, ExecutionMetrics executions, KernelSpecCatalog catalog)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        quotas.ExportZeros();
        rateLimits.ExportZeros();
        executions.ExportZeros();
        // The catalog's snapshot (this scan, the first, is then reused by the first requests instead of being redone).
        KernelSpecSnapshot specs = await catalog.GetRecentAsync(TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        signals.ExportZeros(SignalKinds.All, specs.Available.Keys);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
