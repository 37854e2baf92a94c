using NotebookGateway.Docker;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>How the manager ends: everything removed (the SIGTERM path), or, in tests, abandoned as a killed process would.</summary>
public sealed partial class SandboxKernelManager
{
    /// <summary>
    /// Removes every container, socket directory and workspace this manager created (SIGTERM path). Operations in
    /// flight are cancelled and undo themselves.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await operations.StopAsync().ConfigureAwait(false);
        await deaths.StopAsync().ConfigureAwait(false);

        // Let in-flight starts/restarts notice the cancellation and clean up after themselves.
        if (!await operations.WaitAsync(DisposeWait, timeProvider).ConfigureAwait(false))
        {
            LifecycleLog.CleanupFailed(logger, "dispose", $"operations still running after {DisposeWait.TotalSeconds:0} s");
        }

        if (host.Options.OnStop == StopBehavior.KeepKernels && _ready)
        {
            await LeaveForNextStartAsync().ConfigureAwait(false);
        }
        else
        {
            await RemoveEverythingAsync().ConfigureAwait(false);
        }

        if (OwnedServices is not null)
        {
            await OwnedServices.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The SIGTERM path by default: every kernel, pool sandbox, workspace and state record goes.</summary>
    private async Task RemoveEverythingAsync()
    {
        var teardowns = new List<Task>();
        foreach (var kernel in _kernels.Values)
        {
            ForgetRecord(kernel);
            if (kernel.Run is { } run)
            {
                kernel.Run = null;
                teardowns.Add(launcher.TearDownAsync(run, graceful: false));
            }
        }

        teardowns.Add(launcher.TearDownAllAsync()); // the pool's waiting sandboxes too
        await Task.WhenAll(teardowns).ConfigureAwait(false);
        pool.Clear();
        foreach (var kernel in _kernels.Values)
        {
            states.Set(kernel, SandboxKernelState.Stopped, "the gateway is shutting down");
        }

        _kernels.Clear();
        if (_ready)
        {
            await sessions.DisposeAsync().ConfigureAwait(false);

            // Backstop: anything of ours that escaped the bookkeeping.
            try
            {
                await orphans.SweepAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DockerException or IOException)
            {
                LifecycleLog.CleanupFailed(logger, "final sweep", ex.Message);
            }
        }

        LifecycleLog.Disposed(logger, host.Owner, InstanceId);
    }

    /// <summary>
    /// The stop of an upgrade: every kernel keeps running and stays recorded for the next start to take back; only this
    /// process's hold on them ends (clients, socket descriptors, egress listeners). Their records are current already
    /// (every change of a kernel rewrites its record). Waiting pool sandboxes are removed.
    /// </summary>
    private async Task LeaveForNextStartAsync()
    {
        await pool.RetireAllAsync().ConfigureAwait(false);
        var count = _kernels.Count;
        await launcher.ReleaseAllAsync().ConfigureAwait(false);
        await sessions.LeaveForNextStartAsync().ConfigureAwait(false);
        _kernels.Clear();
        LifecycleLog.LeftForNextStart(logger, host.Owner, count);
    }

    /// <summary>
    /// Tests only: behave like a process that was killed — stop watching and close every descriptor and socket,
    /// but leave containers, socket directories, mounts and workspaces in place (for the orphan sweep to find).
    /// </summary>
    internal async Task AbandonForTestingAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        await operations.StopAsync().ConfigureAwait(false);
        await deaths.StopAsync().ConfigureAwait(false);
        await launcher.ReleaseAllAsync().ConfigureAwait(false);
        _kernels.Clear();
    }
}
