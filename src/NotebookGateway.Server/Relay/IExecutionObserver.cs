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

    /// <summary>
    /// An execute_request the gateway refused before <see cref="Admit"/> (e.g. the owner's execute rate); <paramref name="limit"/>
    /// names why, and <paramref name="rule"/> which of the check's rules, when it has several (the admission rules).
    /// </summary>
    void OnRefused(JupyterMessage request, string limit, string? rule = null);

    /// <summary>An admitted execute_request that never reached the kernel (its msg_id was already pending): no cell.</summary>
    void OnWithdrawn(JupyterMessage request);

    /// <summary>The reply the gateway matched to a client's request: at most one per request, so the cell's end.</summary>
    void OnReply(JupyterMessage reply);

    /// <summary>
    /// The kernel sent <paramref name="msgType"/> for a request that is not outstanding (a reply, an input_request, a
    /// status for a request never sent): dropped before any client saw it.
    /// </summary>
    void OnForged(string msgType, string? parentMsgId);

    /// <summary>The gateway's view of the kernel: a cell outstanding, or its sandbox using CPU (cgroup).</summary>
    bool IsBusy { get; }

    /// <summary>When the sandbox last used a noticeable share of a core, if ever.</summary>
    DateTimeOffset? LastCpuActivity { get; }

    /// <summary>The request header of the cell the kernel is running now (empty when none): the parent of a notice meant for it.</summary>
    ReadOnlyMemory<byte> RunningCellHeader { get; }

    /// <summary>The output limiter started dropping a cell's output.</summary>
    void OnOutputLimited();

    /// <summary>The kernel restarted, died or went away: requests still waiting for a reply will never get one.</summary>
    void OnKernelReset();
}
