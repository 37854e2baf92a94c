using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Server.Quotas;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// After the sandbox manager took its kernels back at start-up, gives them back to the API: the notebook sessions
/// recorded with them, then each kernel to its recorded owner with its quota slots, culling clock and lease. At a stop that
/// keeps kernels (<c>Sandbox:OnStop = KeepKernels</c>) it records every culling clock first; it stops before the
/// manager does, as it starts after it. When the stop begins, every client websocket is closed at once, so that the
/// server need not wait for clients to leave and clients reconnect to the next process.
/// </summary>
public sealed partial class KernelReadoption(SandboxKernelManager manager, GatewayKernelRegistry kernels, SessionStore sessions, KernelQuotas quotas,
    KernelLeases leases, IOptions<SandboxOptions> sandbox, IHostApplicationLifetime lifetime, ILogger<KernelReadoption> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => _ = CloseClientsAsync());
        int restoredSessions = sessions.Restore(quotas).Count;
        int running = 0, dead = 0;
        foreach (SandboxKernel sandboxKernel in manager.Readopted)
        {
            if (await kernels.AdoptAsync(sandboxKernel, cancellationToken) is { } kernel)
            {
                if (kernel.Sandbox.State == SandboxKernelState.Running)
                {
                    running++;
                    if (GatewayKernelRegistry.RecordedLease(kernel) is { } lease)
                    {
                        // The clients were cut off by the restart: the lease runs again from now until one reconnects.
                        leases.Hold(kernel.Id, lease);
                    }
                }
                else
                {
                    dead++;
                }
            }
        }
        if (restoredSessions + running + dead > 0)
        {
            Log.Restored(logger, running, dead, restoredSessions);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (sandbox.Value.OnStop == StopBehavior.KeepKernels)
        {
            kernels.RecordActivity();
        }
        else
        {
            sessions.ForgetRecorded();
        }
        return Task.CompletedTask;
    }

    private async Task CloseClientsAsync()
    {
        string reason = sandbox.Value.OnStop == StopBehavior.KeepKernels ? "the gateway is restarting; reconnect to carry on" : "the gateway is shutting down";
        try
        {
            await Task.WhenAll(kernels.All.Select(k => k.Channels.CloseAllAsync(reason)));
        }
        catch (Exception ex)
        {
            Log.CloseFailed(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3121, Level = LogLevel.Warning, Message = "Closing the client connections at the stop failed")]
        public static partial void CloseFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3120, Level = LogLevel.Information,
            Message = "Taken back after a restart: {Running} running kernel(s), {Dead} dead kernel(s) (restartable), {Sessions} session(s)")]
        public static partial void Restored(ILogger logger, int running, int dead, int sessions);
    }
}
