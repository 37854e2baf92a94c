namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>Where a kernel is in its life. The server maps these to Jupyter's execution states (starting, restarting, dead).</summary>
public enum SandboxKernelState
{
    /// <summary>The first container is being created and the kernel has not answered yet.</summary>
    Starting,

    /// <summary>The kernel answers; <see cref="SandboxKernel.Client"/> is usable.</summary>
    Running,

    /// <summary>The old container is being replaced by a new one.</summary>
    Restarting,

    /// <summary>The container died (exit, OOM kill) or the kernel stopped answering; see <see cref="SandboxKernel.DeathReason"/>. Restart or shut it down.</summary>
    Dead,

    /// <summary>Shutdown requested; the container is being removed.</summary>
    ShuttingDown,

    /// <summary>Gone: the container and its socket directory are removed.</summary>
    Stopped,
}
