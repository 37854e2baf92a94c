using NotebookGateway.Jupyter.Envelope;

namespace NotebookGateway.Server.Channels;

/// <summary>
/// What <see cref="KernelChannels"/> tells the execution limits, metrics and audit about cells (transport-independent,
/// so the websocket and the hub both go through it). Called on the relay path: implementations must not block.
/// </summary>
public interface IExecutionObserver
{
    /// <summary>An execute_request from a client: null lets it through, a refusal is answered in its place.</summary>
    ExecutionRefusal? Admit(JupyterMessage request);

    /// <summary>Every iopub message of the kernel (status busy/idle mark a cell's start and end).</summary>
    void OnIOPub(JupyterMessage message);

    /// <summary>A reply from the kernel to a client's request.</summary>
    void OnReply(JupyterMessage reply);

    /// <summary>The output limiter started dropping a cell's output.</summary>
    void OnOutputLimited();
}

/// <summary>An execute_request answered by the gateway: iopub messages for every client and the reply for the requester.</summary>
public sealed record ExecutionRefusal(IReadOnlyList<JupyterMessage> IOPub, JupyterMessage Reply);
