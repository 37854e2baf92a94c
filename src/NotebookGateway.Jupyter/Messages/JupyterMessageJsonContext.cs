using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using NotebookGateway.Jupyter.Messages.Comm;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Jupyter.Messages.Stdin;

namespace NotebookGateway.Jupyter.Messages;

/// <summary>
/// Source-generated serialization metadata for every message content record. Null members are omitted on write;
/// unknown members are ignored on read. Use <see cref="Wire"/> to write content (it is what
/// <see cref="MessageContentTypes"/> uses); <c>Default</c> differs only in escaping more characters.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
// Shell
[JsonSerializable(typeof(ExecuteRequest))]
[JsonSerializable(typeof(ExecuteReply))]
[JsonSerializable(typeof(InspectRequest))]
[JsonSerializable(typeof(InspectReply))]
[JsonSerializable(typeof(CompleteRequest))]
[JsonSerializable(typeof(CompleteReply))]
[JsonSerializable(typeof(HistoryRequest))]
[JsonSerializable(typeof(HistoryReply))]
[JsonSerializable(typeof(IsCompleteRequest))]
[JsonSerializable(typeof(IsCompleteReply))]
[JsonSerializable(typeof(ConnectRequest))]
[JsonSerializable(typeof(ConnectReply))]
[JsonSerializable(typeof(CommInfoRequest))]
[JsonSerializable(typeof(CommInfoReply))]
[JsonSerializable(typeof(CommInfo))]
[JsonSerializable(typeof(KernelInfoRequest))]
[JsonSerializable(typeof(KernelInfoReply))]
[JsonSerializable(typeof(LanguageInfo))]
[JsonSerializable(typeof(HelpLink))]
// Control
[JsonSerializable(typeof(ShutdownRequest))]
[JsonSerializable(typeof(ShutdownReply))]
[JsonSerializable(typeof(InterruptRequest))]
[JsonSerializable(typeof(InterruptReply))]
[JsonSerializable(typeof(DebugRequest))]
[JsonSerializable(typeof(DebugReply))]
[JsonSerializable(typeof(CreateSubshellRequest))]
[JsonSerializable(typeof(CreateSubshellReply))]
[JsonSerializable(typeof(DeleteSubshellRequest))]
[JsonSerializable(typeof(DeleteSubshellReply))]
[JsonSerializable(typeof(ListSubshellRequest))]
[JsonSerializable(typeof(ListSubshellReply))]
// IOPub
[JsonSerializable(typeof(StreamOutput))]
[JsonSerializable(typeof(DisplayData))]
[JsonSerializable(typeof(UpdateDisplayData))]
[JsonSerializable(typeof(ExecuteInput))]
[JsonSerializable(typeof(ExecuteResult))]
[JsonSerializable(typeof(ErrorContent))]
[JsonSerializable(typeof(StatusContent))]
[JsonSerializable(typeof(ClearOutput))]
[JsonSerializable(typeof(DebugEvent))]
[JsonSerializable(typeof(IOPubWelcome))]
// Comm
[JsonSerializable(typeof(CommOpen))]
[JsonSerializable(typeof(CommMsg))]
[JsonSerializable(typeof(CommClose))]
// Stdin
[JsonSerializable(typeof(InputRequest))]
[JsonSerializable(typeof(InputReply))]
public sealed partial class JupyterMessageJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The instance for message content on the wire: <c>Default</c>'s options plus minimal escaping, so non-ASCII
    /// text and characters such as <c>'</c>, <c>&lt;</c> and <c>&amp;</c> are written as UTF-8, like jupyter_client's
    /// <c>json.dumps(..., ensure_ascii=False)</c>, instead of as <c>\uXXXX</c>. The JSON is never embedded in HTML
    /// by this gateway.
    /// </summary>
    public static JupyterMessageJsonContext Wire => WireHolder.Instance;

    // A nested holder so that Default (initialised in the generated part) exists before it is copied.
    private static class WireHolder
    {
        public static readonly JupyterMessageJsonContext Instance = new(
            new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
