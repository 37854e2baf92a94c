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

    /// <summary>Jupyter's execution_state: the kernel's own claim (display only), or the lifecycle's while it is not running.</summary>
    public string ExecutionState => LifecycleState ?? Channels.ExecutionState;

    /// <summary>
    /// The gateway's own view, which culling and the limits use: busy while a client's cell is outstanding or the sandbox
    /// uses CPU (its cgroup), idle otherwise, whatever status the kernel publishes.
    /// </summary>
    public string GatewayExecutionState => LifecycleState ?? Channels.Executions switch
    {
        { IsBusy: true } => ExecutionStates.Busy,
        not null => ExecutionStates.Idle,
        null => Channels.ExecutionState,
    };

    /// <summary>The last client request or sandbox CPU use, whichever is later; kernel messages do not count.</summary>
    public DateTimeOffset LastActivity =>
        Channels.Executions?.LastCpuActivity is { } cpu && cpu > Channels.LastActivity ? cpu : Channels.LastActivity;

    private string? LifecycleState => Sandbox.State switch
    {
        SandboxKernelState.Starting => ExecutionStates.Starting,
        SandboxKernelState.Restarting => ExecutionStates.Restarting,
        SandboxKernelState.Dead => ExecutionStates.Dead,
        SandboxKernelState.ShuttingDown or SandboxKernelState.Stopped => ExecutionStates.Dead,
        _ => null,
    };
}
