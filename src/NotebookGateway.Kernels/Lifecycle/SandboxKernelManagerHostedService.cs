using Microsoft.Extensions.Hosting;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Initialises the manager when the host starts (orphan sweep, event subscription) and disposes it when the host
/// stops, which is how SIGTERM removes every kernel container.
/// </summary>
public sealed class SandboxKernelManagerHostedService(SandboxKernelManager manager) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => manager.InitializeAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await manager.DisposeAsync().ConfigureAwait(false);
}
