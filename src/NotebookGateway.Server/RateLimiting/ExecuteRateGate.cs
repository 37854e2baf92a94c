using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Server.Channels;

namespace NotebookGateway.Server.RateLimiting;

/// <summary>
/// The execute rate limit of one kernel's owner, checked by <see cref="KernelChannels"/> for every transport. A refused
/// execute_request never reaches the kernel; the client gets what a kernel would send for a failed cell (busy, a stderr
/// stream, idle on iopub and an error execute_reply) so the cell finishes with the reason instead of hanging.
/// </summary>
public sealed class ExecuteRateGate(GatewayRateLimiter limiter, string owner)
{
    public const string ErrorName = "RateLimitExceeded";

    /// <summary>Null when <paramref name="request"/> may go to the kernel; otherwise the messages that answer it.</summary>
    public RefusedExecute? Check(JupyterMessage request)
    {
        if (request.MsgType != MessageTypes.ExecuteRequest || limiter.TryExecute(owner) is not { } refusal)
        {
            return null;
        }
        string session = request.Header.Session;
        ReadOnlyMemory<byte> parent = request.HeaderJson;
        JupyterMessage Make(string msgType, byte[] content)
        {
            MessageHeader header = MessageHeader.Create(msgType, session, "gateway");
            return new JupyterMessage(header, header.ToJson(), parent, "{}"u8.ToArray(), content);
        }
        ChannelMessage[] iopub =
        [
            new(Make(MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Busy })), MessageChannel.IOPub),
            new(Make(MessageTypes.Stream, MessageContentTypes.Serialize(new StreamOutput { Name = StreamNames.Stderr, Text = $"[{refusal.Message}]\n" })), MessageChannel.IOPub),
            new(Make(MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Idle })), MessageChannel.IOPub),
        ];
        var reply = new ExecuteReply
        {
            Status = ReplyStatus.Error,
            ExecutionCount = 0,
            EName = ErrorName,
            EValue = refusal.Message,
            Traceback = [],
        };
        return new RefusedExecute(iopub, new ChannelMessage(Make(MessageTypes.ExecuteReply, MessageContentTypes.Serialize(reply)), MessageChannel.Shell));
    }
}

/// <summary>What answers a refused execute_request: iopub for every client, the reply for the one that asked.</summary>
public sealed record RefusedExecute(IReadOnlyList<ChannelMessage> IOPub, ChannelMessage Reply);
