using NotebookGateway.Kernels.State;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>What the manager records in its state directory so that a restarted gateway can take its kernels back.</summary>
public sealed partial class SandboxKernelManager
{
    /// <summary>The kernels this process took back from an earlier one at <see cref="InitializeAsync"/> (running or dead).</summary>
    public IReadOnlyList<SandboxKernel> Readopted { get; private set; } = [];

    /// <summary>The state directory, for what the host keeps beside the kernels (e.g. its own sessions).</summary>
    public KernelStateStore State => state;

    /// <summary>
    /// Replaces the host's annotations of a kernel and records them (e.g. its culling clock). False when the kernel is
    /// gone or the record could not be written (logged).
    /// </summary>
    public bool Annotate(string kernelId, IReadOnlyDictionary<string, string> annotations)
    {
        if (!_kernels.TryGetValue(kernelId, out var kernel))
        {
            return false;
        }

        kernel.Annotations = annotations;
        return TryRecord(kernel);
    }

    /// <summary>A started kernel is recorded before it is reported running; if that fails the start fails.</summary>
    /// <exception cref="KernelLaunchException">The state directory could not be written (e.g. its disk is full).</exception>
    private void RecordStarted(SandboxKernel kernel)
    {
        try
        {
            Save(kernel);
        }
        catch (IOException ex)
        {
            throw new KernelLaunchException($"Kernel {kernel.Id}: the gateway could not record its state in {host.StateDirectory}: {ex.Message}", ex);
        }
    }

    private bool TryRecord(SandboxKernel kernel)
    {
        try
        {
            Save(kernel);
            return true;
        }
        catch (IOException ex)
        {
            LifecycleLog.StateNotRecorded(logger, kernel.Id, ex.Message);
            return false;
        }
    }

    /// <summary>Writes the kernel's current state; records of one kernel are written one at a time, each from the state then.</summary>
    private void Save(SandboxKernel kernel)
    {
        lock (kernel.RecordLock)
        {
            if (!kernel.Forgotten)
            {
                state.SaveKernel(RecordOf(kernel));
            }
        }
    }

    /// <summary>The kernel is gone for good: its record is removed and never written again.</summary>
    private void ForgetRecord(SandboxKernel kernel)
    {
        lock (kernel.RecordLock)
        {
            kernel.Forgotten = true;
            try
            {
                state.DeleteKernel(kernel.Id);
            }
            catch (IOException ex)
            {
                LifecycleLog.StateNotRecorded(logger, kernel.Id, ex.Message);
            }
        }
    }

    /// <summary>A kernel that died stays recorded as dead (with the reason) so that a restarted gateway still lists it.</summary>
    private void RecordDeath(object? sender, KernelStateChangedEventArgs e)
    {
        if (e.State == SandboxKernelState.Dead && _kernels.TryGetValue(e.Kernel.Id, out var kernel) && ReferenceEquals(kernel, e.Kernel))
        {
            TryRecord(kernel);
        }
    }

    private static KernelRecord RecordOf(SandboxKernel kernel) => new()
    {
        KernelId = kernel.Id,
        SpecName = kernel.Spec.Name,
        Environment = kernel.Environment,
        CreatedAt = kernel.CreatedAt,
        NetworkPolicy = kernel.NetworkPolicy?.Name,
        Generation = kernel.Generation,
        WarmStart = kernel.WarmStart,
        SessionKey = kernel.Session.Key,
        Run = kernel.Run is { ContainerId: { } containerId } run
            ? new RunRecord { RunId = run.RunId, ContainerId = containerId, Connection = run.Connection, SocketTmpfs = run.Sockets.IsTmpfs }
            : null,
        DeathReason = kernel.DeathReason,
        Annotations = kernel.Annotations,
    };
}
