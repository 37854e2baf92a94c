using System.Text.Json;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>One message the bridge answers with itself, and the iopub messages that go with it.</summary>
public sealed record LocalAnswer(JupyterMessage? Reply, IReadOnlyList<JupyterMessage> IOPub);

/// <summary>
/// Answers the bridge gives when no remote kernel can: the gateway refused or cannot be reached (the tool still gets a
/// kernel_info_reply, so it starts, and every cell shows the gateway's message), or the remote kernel is gone. Each
/// request gets the reply its type calls for, between busy and idle, as a kernel would send it.
/// </summary>
public sealed class LocalReplies(string session, string language)
{
    public const string ErrorName = "NotebookGatewayError";
    private const string Username = "kernel";

    public string Session { get; } = session;

    public JupyterMessage Status(string state, JupyterMessage? parent) =>
        Create(MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = state }), parent);

    public JupyterMessage ShutdownReply(JupyterMessage request, bool restart) =>
        Create(MessageTypes.ShutdownReply, MessageContentTypes.Serialize(new ShutdownReply { Status = ReplyStatus.Ok, Restart = restart }), request);

    public JupyterMessage InterruptReply(JupyterMessage request, string? error) => Create(MessageTypes.InterruptReply, error is null
        ? MessageContentTypes.Serialize(new InterruptReply { Status = ReplyStatus.Ok })
        : ErrorContent(error), request);

    /// <summary>The answer to <paramref name="request"/> when the kernel cannot be reached because of <paramref name="problem"/>.</summary>
    public LocalAnswer Answer(JupyterMessage request, string problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? replyType = MessageContentTypes.ReplyTypeFor(request.MsgType);
        if (replyType is null)
        {
            return new LocalAnswer(null, []); // input_reply, comm_msg: nothing to answer
        }
        var iopub = new List<JupyterMessage> { Status(ExecutionStates.Busy, request) };
        byte[] content;
        switch (request.MsgType)
        {
            case MessageTypes.KernelInfoRequest:
                // Tools wait for this before anything else; console frontends show the banner.
                content = MessageContentTypes.Serialize(new KernelInfoReply
                {
                    ProtocolVersion = MessageHeader.CurrentVersion,
                    Implementation = "notebookgateway-bridge",
                    ImplementationVersion = typeof(LocalReplies).Assembly.GetName().Version?.ToString(3) ?? "0",
                    LanguageInfo = new LanguageInfo { Name = language },
                    Banner = "NotebookGateway bridge: " + problem,
                    HelpLinks = [],
                });
                break;
            case MessageTypes.ExecuteRequest:
                iopub.Add(Create(MessageTypes.Stream, MessageContentTypes.Serialize(new StreamOutput { Name = StreamNames.Stderr, Text = problem + "\n" }), request));
                iopub.Add(Create(MessageTypes.Error, MessageContentTypes.Serialize(new ErrorContent { EName = ErrorName, EValue = problem, Traceback = [problem] }), request));
                content = MessageContentTypes.Serialize(new ExecuteReply
                {
                    Status = ReplyStatus.Error,
                    ExecutionCount = 0,
                    EName = ErrorName,
                    EValue = problem,
                    Traceback = [problem],
                });
                break;
            case MessageTypes.IsCompleteRequest:
                content = MessageContentTypes.Serialize(new IsCompleteReply { Status = IsCompleteStatuses.Complete }); // so a console lets the line run and shows the error
                break;
            case MessageTypes.HistoryRequest:
                content = """{"status":"ok","history":[]}"""u8.ToArray();
                break;
            case MessageTypes.CompleteRequest:
                int cursor = ReadCursor(request);
                content = MessageContentTypes.Serialize(new CompleteReply { Matches = [], CursorStart = cursor, CursorEnd = cursor, Metadata = new Dictionary<string, JsonElement>() });
                break;
            case MessageTypes.InspectRequest:
                content = MessageContentTypes.Serialize(new InspectReply { Found = false, Data = new Dictionary<string, JsonElement>(), Metadata = new Dictionary<string, JsonElement>() });
                break;
            case MessageTypes.CommInfoRequest:
                content = """{"status":"ok","comms":{}}"""u8.ToArray();
                break;
            default:
                content = ErrorContent(problem);
                break;
        }
        JupyterMessage reply = Create(replyType, content, request);
        iopub.Add(Status(ExecutionStates.Idle, request));
        return new LocalAnswer(reply, iopub);
    }

    private JupyterMessage Create(string msgType, byte[] content, JupyterMessage? parent) =>
        JupyterMessage.Create(msgType, content, Session, Username, parent);

    private static byte[] ErrorContent(string problem)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status", ReplyStatus.Error);
            writer.WriteString("ename", ErrorName);
            writer.WriteString("evalue", problem);
            writer.WriteStartArray("traceback");
            writer.WriteStringValue(problem);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static int ReadCursor(JupyterMessage request)
    {
        try
        {
            using JsonDocument content = JsonDocument.Parse(request.ContentJson);
            return content.RootElement.TryGetProperty("cursor_pos", out JsonElement cursor) && cursor.TryGetInt32(out int value) ? value : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }
}
