using NotebookGateway.Kernels.Observation;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Server.Monitoring;
using NotebookGateway.Server.Quotas;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// At start, after the exporter listens: the counters whose label values are known in advance (signal kinds per
/// kernelspec, quota rejection kinds) are exported at 0, so an alert on <c>increase()</c> fires on the very first event
/// instead of waiting for a series to appear.
/// </summary>
public sealed class ZeroSeries(SignalMetrics signals, KernelQuotas quotas, KernelSpecCatalog catalog) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        quotas.ExportZeros();
        KernelSpecSnapshot specs = await catalog.RefreshAsync(cancellationToken).ConfigureAwait(false);
        signals.ExportZeros(SignalKinds.All, specs.Available.Keys);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
