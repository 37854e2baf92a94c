using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;

namespace NotebookGateway.Jupyter.Envelope;

/// <summary>
/// The messages a gateway writes itself, in a kernel's place: lifecycle statuses, stderr notices in a cell, and the
/// answers to cells it refused or that a restart or a death cut off. They are built here and nowhere else, with
/// <see cref="Username"/> in their header; clients cannot tell them from a kernel's, which is the point.
/// </summary>
public static class GatewayMessages
{
    /// <summary>The header username of every gateway-made message.</summary>
    public const string Username = "gateway";

    /// <summary>The error name of an execute cut off by a restart.</summary>
    public const string KernelRestartedError = "KernelRestarted";

    /// <summary>The error name of an execute cut off by the kernel's death.</summary>
    public const string KernelDiedError = "KernelDied";

    /// <summary>A status without a parent: the kernel's lifecycle (<see cref="ExecutionStates.Restarting"/>, <see cref="ExecutionStates.Dead"/>).</summary>
    public static JupyterMessage LifecycleStatus(string session, string executionState, TimeProvider? timeProvider = null)
    {
        MessageHeader header = MessageHeader.Create(MessageTypes.Status, session, Username, timeProvider);
        return new JupyterMessage(header, header.ToJson(), EmptyObject(), EmptyObject(),
            MessageContentTypes.Serialize(new StatusContent { ExecutionState = executionState }));
    }

    /// <summary>A stderr stream message in the cell whose request header is <paramref name="parentHeaderJson"/>; empty: in no cell.</summary>
    public static JupyterMessage Stderr(ReadOnlyMemory<byte> parentHeaderJson, string session, string text, TimeProvider? timeProvider = null)
    {
        MessageHeader header = MessageHeader.Create(MessageTypes.Stream, session, Username, timeProvider);
        return new JupyterMessage(
            header,
            header.ToJson(),
            parentHeaderJson.IsEmpty ? EmptyObject() : parentHeaderJson,
            EmptyObject(),
            MessageContentTypes.Serialize(new StreamOutput { Name = StreamNames.Stderr, Text = text }));
    }

    /// <summary>
    /// The answer to an execute_request the gateway refused: what a kernel sends for a failed cell (busy, a stderr notice
    /// with <paramref name="text"/>, idle on iopub; an error execute_reply named <paramref name="errorName"/>), so the cell
    /// ends with the reason instead of hanging.
    /// </summary>
    public static ExecutionRefusal RefuseExecute(JupyterMessage request, string errorName, string text, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(text);
        string reason = text.Trim().TrimStart('[').TrimEnd(']'); // the notice keeps the brackets, the error value does not
        return new ExecutionRefusal(
        [
            Answer(request, MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Busy }), timeProvider),
            Stderr(request.HeaderJson, request.Header.Session, text.EndsWith('\n') ? text : text + "\n", timeProvider),
            Answer(request, MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Idle }), timeProvider),
        ], ErrorReply(request, errorName, reason, timeProvider));
    }

    /// <summary>
    /// The error execute_reply to an execute that the kernel's end cut off (<paramref name="executionState"/> is the
    /// lifecycle state that ended it: restarting, or dead), so clients waiting for the reply stop waiting.
    /// </summary>
    /// <param name="reason">Why the kernel died (e.g. "memory limit of 512 MiB exceeded"), when known.</param>
    public static JupyterMessage CutOffReply(JupyterMessage request, string executionState, string? reason = null, TimeProvider? timeProvider = null) =>
        executionState == ExecutionStates.Restarting
            ? ErrorReply(request, KernelRestartedError, "the kernel was restarted before this cell finished; its variables are gone", timeProvider)
            : ErrorReply(request, KernelDiedError,
                $"the kernel died before this cell finished{(string.IsNullOrEmpty(reason) ? "" : $" ({reason})")}; restart it to go on", timeProvider);

    /// <summary>An error execute_reply to <paramref name="request"/>, with <paramref name="reason"/> as its value and traceback.</summary>
    public static JupyterMessage ErrorReply(JupyterMessage request, string errorName, string reason, TimeProvider? timeProvider = null) =>
        Answer(request, MessageTypes.ExecuteReply, MessageContentTypes.Serialize(new ExecuteReply
        {
            Status = ReplyStatus.Error,
            EName = errorName,
            EValue = reason,
            Traceback = [reason],
        }), timeProvider);

    private static JupyterMessage Answer(JupyterMessage request, string msgType, byte[] content, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(request);
        MessageHeader header = MessageHeader.Create(msgType, request.Header.Session, Username, timeProvider);
        return new JupyterMessage(header, header.ToJson(), request.HeaderJson, EmptyObject(), content);
    }

    private static byte[] EmptyObject() => "{}"u8.ToArray();
}

/// <summary>
/// An execute_request answered by the gateway instead of the kernel (<see cref="GatewayMessages.RefuseExecute"/>):
/// <see cref="IOPub"/> goes to every client of the kernel, <see cref="Reply"/> only to the requester.
/// </summary>
public sealed record ExecutionRefusal(IReadOnlyList<JupyterMessage> IOPub, JupyterMessage Reply)
{
    /// <summary>
    /// The rule that refused the cell, when the refusing check has several (the admission rules); counted and audited
    /// beside the check's limit. Null for single-purpose checks (the execute rate, the CPU budget).
    /// </summary>
    public string? Rule { get; init; }
}
