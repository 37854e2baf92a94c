using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;

namespace NotebookGateway.Server.Channels;

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

/// <summary>
/// An execute_request answered by the gateway instead of the kernel: what a kernel sends for a failed cell (busy, a stderr
/// notice, idle on iopub for every client, an error execute_reply for the requester), so the cell ends with the reason.
/// </summary>
public sealed record ExecutionRefusal(IReadOnlyList<JupyterMessage> IOPub, JupyterMessage Reply)
{
    /// <summary>The refusal of <paramref name="request"/> with the error name <paramref name="errorName"/> and the reason <paramref name="text"/>.</summary>
    public static ExecutionRefusal Create(JupyterMessage request, string errorName, string text)
    {
        string reason = text.Trim().TrimStart('[').TrimEnd(']'); // the notice keeps the brackets, the error value does not
        return new ExecutionRefusal(
        [
            Answer(request, MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Busy })),
            OutputLimiter.Notice(request.HeaderJson, request.Header.Session, text.EndsWith('\n') ? text : text + "\n"),
            Answer(request, MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Idle })),
        ], ErrorReply(request, errorName, reason));
    }

    /// <summary>An error execute_reply to <paramref name="request"/> written by the gateway, with <paramref name="reason"/> as its value and traceback.</summary>
    public static JupyterMessage ErrorReply(JupyterMessage request, string errorName, string reason) =>
        Answer(request, MessageTypes.ExecuteReply, MessageContentTypes.Serialize(new ExecuteReply
        {
            Status = ReplyStatus.Error,
            EName = errorName,
            EValue = reason,
            Traceback = [reason],
        }));

    private static JupyterMessage Answer(JupyterMessage request, string msgType, byte[] content)
    {
        MessageHeader header = MessageHeader.Create(msgType, request.Header.Session, "gateway");
        return new JupyterMessage(header, header.ToJson(), request.HeaderJson, "{}"u8.ToArray(), content);
    }
}
