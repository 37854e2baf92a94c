namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>A kernel changed state; <see cref="Reason"/> says why for Dead (e.g. "memory limit of 512 MiB exceeded").</summary>
public sealed class KernelStateChangedEventArgs(SandboxKernel kernel, SandboxKernelState previous, SandboxKernelState state, string? reason) : EventArgs
{
    public SandboxKernel Kernel { get; } = kernel;

    public SandboxKernelState Previous { get; } = previous;

    public SandboxKernelState State { get; } = state;

    public string? Reason { get; } = reason;
}
