using NotebookGateway.Jupyter.Envelope;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// What <see cref="KernelChannels"/> tells the execution limits, metrics and audit about cells (transport-independent,
/// so the websocket and the hub both go through it). Called on the relay path: implementations must not block.
/// </summary>
public interface IExecutionObserver : IDisposable
{
    /// <summary>An execute_request from a client: null lets it through, a refusal is answered in its place.</summary>
    ExecutionRefusal? Admit(JupyterMessage request);

    /// <summary>An execute_request the gateway refused before <see cref="Admit"/> (e.g. the owner's execute rate); <paramref name="limit"/> names why.</summary>
    void OnRefused(JupyterMessage request, string limit);

    /// <summary>A status <paramref name="state"/> the kernel published for the request with msg_id <paramref name="parent"/> (busy/idle mark a cell's start and end).</summary>
    void OnStatus(string parent, string state);

    /// <summary>A reply from the kernel to a client's request.</summary>
    void OnReply(JupyterMessage reply);

    /// <summary>The output limiter started dropping a cell's output.</summary>
    void OnOutputLimited();

    /// <summary>The kernel restarted, died or went away: requests still waiting for a reply will never get one.</summary>
    void OnKernelReset();
}
