using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Server.Quotas;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// After the sandbox manager took its kernels back at start-up, gives them back to the API: the notebook sessions
/// recorded with them, then each kernel to its recorded owner with its quota slots and culling clock. At a stop that
/// keeps kernels (<c>Sandbox:OnStop = KeepKernels</c>) it records every culling clock first; it stops before the
/// manager does, as it starts after it.
/// </summary>
public sealed partial class KernelReadoption(SandboxKernelManager manager, GatewayKernelRegistry kernels, SessionStore sessions, KernelQuotas quotas,
    IOptions<SandboxOptions> sandbox, ILogger<KernelReadoption> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        int restoredSessions = sessions.Restore(quotas).Count;
        int running = 0, dead = 0;
        foreach (SandboxKernel sandboxKernel in manager.Readopted)
        {
            if (await kernels.AdoptAsync(sandboxKernel, cancellationToken) is { } kernel)
            {
                if (kernel.Sandbox.State == SandboxKernelState.Running)
                {
                    running++;
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
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3120, Level = LogLevel.Information,
            Message = "Taken back after a restart: {Running} running kernel(s), {Dead} dead kernel(s) (restartable), {Sessions} session(s)")]
        public static partial void Restored(ILogger logger, int running, int dead, int sessions);
    }
}
