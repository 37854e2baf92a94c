using Microsoft.Extensions.Logging;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// The one place a kernel's <see cref="SandboxKernel.State"/> is set, and the event that reports it (the server
/// follows it through <see cref="SandboxKernelManager.KernelStateChanged"/>).
/// </summary>
public sealed class KernelStateEvents(ILogger<KernelStateEvents> logger)
{
    /// <summary>Raised on every state change of every kernel (on the thread that caused it; handlers must not block).</summary>
    public event EventHandler<KernelStateChangedEventArgs>? Changed;

    internal void Set(SandboxKernel kernel, SandboxKernelState state, string? reason)
    {
        var previous = kernel.State;
        kernel.State = state;
        try
        {
            Changed?.Invoke(this, new KernelStateChangedEventArgs(kernel, previous, state, reason));
        }
        catch (Exception ex)
        {
            LifecycleLog.HandlerFailed(logger, kernel.Id, ex);
        }
    }
}
