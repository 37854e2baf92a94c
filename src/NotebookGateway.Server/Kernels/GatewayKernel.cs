using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Kernels;

/// <summary>A kernel as the API sees it: the sandboxed kernel, its client channels and its owner.</summary>
public sealed class GatewayKernel(SandboxKernel sandbox, KernelChannels channels, string owner) : IMeteredKernel
{
    public string Id => Sandbox.Id;

    public SandboxKernel Sandbox { get; } = sandbox;

    public KernelChannels Channels { get; } = channels;

    /// <summary>The user the kernel belongs to; identity comes from the token, never from the client.</summary>
    public string Owner { get; } = owner;

    /// <summary>Jupyter's execution_state: the kernel's own, or the lifecycle's while it is not running.</summary>
    public string ExecutionState => Sandbox.State switch
    {
        SandboxKernelState.Starting => ExecutionStates.Starting,
        SandboxKernelState.Restarting => ExecutionStates.Restarting,
        SandboxKernelState.Dead => ExecutionStates.Dead,
        SandboxKernelState.ShuttingDown or SandboxKernelState.Stopped => ExecutionStates.Dead,
        _ => Channels.ExecutionState,
    };
}
