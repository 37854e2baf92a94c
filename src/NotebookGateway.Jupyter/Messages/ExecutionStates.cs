namespace NotebookGateway.Jupyter.Messages;

/// <summary>Values of <c>status.execution_state</c>.</summary>
public static class ExecutionStates
{
    /// <summary>The kernel is handling a request.</summary>
    public const string Busy = "busy";

    /// <summary>The kernel finished a request and published all of its iopub output.</summary>
    public const string Idle = "idle";

    /// <summary>Published once by the kernel at process start-up.</summary>
    public const string Starting = "starting";

    /// <summary>Injected by the server when the kernel is being restarted (not sent by kernels).</summary>
    public const string Restarting = "restarting";

    /// <summary>Injected by the server when the kernel died and could not be restarted (not sent by kernels).</summary>
    public const string Dead = "dead";
}
