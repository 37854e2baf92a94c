using System.Text.Json;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Comm;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Jupyter.Messages.Stdin;

namespace NotebookGateway.Jupyter.Tests.Messages;

/// <summary>One realistic, fully populated content instance per msg_type, with the channel and JSON names expected.</summary>
internal static class MessageSamples
{
    /// <summary>Every constant of <see cref="MessageTypes"/>, listed by hand (no reflection).</summary>
    public static readonly IReadOnlyList<string> AllWireNames =
    [
        MessageTypes.ExecuteRequest, MessageTypes.ExecuteReply,
        MessageTypes.InspectRequest, MessageTypes.InspectReply,
        MessageTypes.CompleteRequest, MessageTypes.CompleteReply,
        MessageTypes.HistoryRequest, MessageTypes.HistoryReply,
        MessageTypes.IsCompleteRequest, MessageTypes.IsCompleteReply,
        MessageTypes.ConnectRequest, MessageTypes.ConnectReply,
        MessageTypes.CommInfoRequest, MessageTypes.CommInfoReply,
        MessageTypes.KernelInfoRequest, MessageTypes.KernelInfoReply,
        MessageTypes.ShutdownRequest, MessageTypes.ShutdownReply,
        MessageTypes.InterruptRequest, MessageTypes.InterruptReply,
        MessageTypes.DebugRequest, MessageTypes.DebugReply,
        MessageTypes.CreateSubshellRequest, MessageTypes.CreateSubshellReply,
        MessageTypes.DeleteSubshellRequest, MessageTypes.DeleteSubshellReply,
        MessageTypes.ListSubshellRequest, MessageTypes.ListSubshellReply,
        MessageTypes.Stream, MessageTypes.DisplayData, MessageTypes.UpdateDisplayData,
        MessageTypes.ExecuteInput, MessageTypes.ExecuteResult, MessageTypes.Error,
        MessageTypes.Status, MessageTypes.ClearOutput, MessageTypes.DebugEvent, MessageTypes.IOPubWelcome,
        MessageTypes.CommOpen, MessageTypes.CommMsg, MessageTypes.CommClose,
        MessageTypes.InputRequest, MessageTypes.InputReply,
    ];

    public static readonly IReadOnlyDictionary<string, Sample> ByMessageType = new Dictionary<string, Sample>
    {
        [MessageTypes.ExecuteRequest] = new(
            new ExecuteRequest
            {
                Code = "import sys\nprint(sys.version)",
                Silent = false,
                StoreHistory = true,
                UserExpressions = new Dictionary<string, string> { ["cwd"] = "__import__('os').getcwd()" },
                AllowStdin = true,
                StopOnError = true,
            },
            MessageChannel.Shell,
            ["code", "silent", "store_history", "user_expressions", "allow_stdin", "stop_on_error"]),

        [MessageTypes.ExecuteReply] = new(
            new ExecuteReply
            {
                Status = ReplyStatus.Ok,
                ExecutionCount = 7,
                Payload = [Json("""{"source":"set_next_input","text":"%load x.py","replace":false}""")],
                UserExpressions = new Dictionary<string, JsonElement>
                {
                    ["cwd"] = Json("""{"status":"ok","data":{"text/plain":"'/home/jovyan'"},"metadata":{}}"""),
                },
            },
            MessageChannel.Shell,
            ["status", "execution_count", "payload", "user_expressions"]),

        [MessageTypes.InspectRequest] = new(
            new InspectRequest { Code = "len(x)", CursorPos = 2, DetailLevel = 1 },
            MessageChannel.Shell,
            ["code", "cursor_pos", "detail_level"]),

        [MessageTypes.InspectReply] = new(
            new InspectReply
            {
                Found = true,
                Data = Bundle(("text/plain", "\"Signature: len(obj, /)\\nDocstring: Return the number of items.\"")),
                Metadata = Bundle(),
            },
            MessageChannel.Shell,
            ["status", "found", "data", "metadata"]),

        [MessageTypes.CompleteRequest] = new(
            new CompleteRequest { Code = "import o", CursorPos = 8 },
            MessageChannel.Shell,
            ["code", "cursor_pos"]),

        [MessageTypes.CompleteReply] = new(
            new CompleteReply
            {
                Matches = ["operator", "os"],
                CursorStart = 7,
                CursorEnd = 8,
                Metadata = Bundle(("_jupyter_types_experimental",
                    """[{"start":7,"end":8,"text":"operator","type":"module","signature":""}]""")),
            },
            MessageChannel.Shell,
            ["status", "matches", "cursor_start", "cursor_end", "metadata"]),

        [MessageTypes.HistoryRequest] = new(
            new HistoryRequest
            {
                Output = false,
                Raw = true,
                HistAccessType = HistoryAccessTypes.Search,
                Session = -1,
                Start = 1,
                Stop = 10,
                N = 5,
                Pattern = "import*",
                Unique = true,
            },
            MessageChannel.Shell,
            ["output", "raw", "hist_access_type", "session", "start", "stop", "n", "pattern", "unique"]),

        [MessageTypes.HistoryReply] = new(
            new HistoryReply { History = Json("""[[3,1,"import os"],[3,2,"os.getcwd()"]]""") },
            MessageChannel.Shell,
            ["status", "history"]),

        [MessageTypes.IsCompleteRequest] = new(
            new IsCompleteRequest { Code = "for i in range(3):" },
            MessageChannel.Shell,
            ["code"]),

        [MessageTypes.IsCompleteReply] = new(
            new IsCompleteReply { Status = IsCompleteStatuses.Incomplete, Indent = "    " },
            MessageChannel.Shell,
            ["status", "indent"]),

        [MessageTypes.ConnectRequest] = new(new ConnectRequest(), MessageChannel.Shell, []),

        [MessageTypes.ConnectReply] = new(
            new ConnectReply { ShellPort = 50001, IOPubPort = 50002, StdinPort = 50003, HbPort = 50004, ControlPort = 50005 },
            MessageChannel.Shell,
            ["status", "shell_port", "iopub_port", "stdin_port", "hb_port", "control_port"]),

        [MessageTypes.CommInfoRequest] = new(
            new CommInfoRequest { TargetName = "jupyter.widget" },
            MessageChannel.Shell,
            ["target_name"]),

        [MessageTypes.CommInfoReply] = new(
            new CommInfoReply
            {
                Comms = new Dictionary<string, CommInfo>
                {
                    ["6a1f3c2e9b0d4d7f8e5a4b3c2d1e0f9a"] = new() { TargetName = "jupyter.widget" },
                },
            },
            MessageChannel.Shell,
            ["status", "comms"]),

        [MessageTypes.KernelInfoRequest] = new(new KernelInfoRequest(), MessageChannel.Shell, []),

        [MessageTypes.KernelInfoReply] = new(
            new KernelInfoReply
            {
                ProtocolVersion = "5.3",
                Implementation = "ipython",
                ImplementationVersion = "8.5.0",
                LanguageInfo = new LanguageInfo
                {
                    Name = "python",
                    Version = "3.11.2",
                    Mimetype = "text/x-python",
                    FileExtension = ".py",
                    PygmentsLexer = "ipython3",
                    CodemirrorMode = Json("""{"name":"ipython","version":3}"""),
                    NbconvertExporter = "python",
                },
                Banner = "Python 3.11.2 (main) \nType 'copyright', 'credits' or 'license' for more information\n",
                Debugger = false,
                HelpLinks = [new HelpLink { Text = "Python Reference", Url = "https://docs.python.org/3.11" }],
                SupportedFeatures = ["debugger", "kernel subshells"],
            },
            MessageChannel.Shell,
            ["status", "protocol_version", "implementation", "implementation_version", "language_info", "banner",
             "debugger", "help_links", "supported_features"]),

        [MessageTypes.ShutdownRequest] = new(new ShutdownRequest { Restart = true }, MessageChannel.Control, ["restart"]),

        [MessageTypes.ShutdownReply] = new(
            new ShutdownReply { Restart = true },
            MessageChannel.Control,
            ["status", "restart"]),

        [MessageTypes.InterruptRequest] = new(new InterruptRequest(), MessageChannel.Control, []),

        [MessageTypes.InterruptReply] = new(new InterruptReply(), MessageChannel.Control, ["status"]),

        [MessageTypes.DebugRequest] = new(
            new DebugRequest { Seq = 3, Command = "dumpCell", Arguments = Json("""{"code":"a = 1\nb = 2"}""") },
            MessageChannel.Control,
            ["seq", "type", "command", "arguments"]),

        [MessageTypes.DebugReply] = new(
            new DebugReply
            {
                Seq = 4,
                RequestSeq = 3,
                Success = false,
                Command = "dumpCell",
                Message = "debugger not started",
                Body = Json("""{"sourcePath":"/tmp/ipykernel_42/1234.py"}"""),
            },
            MessageChannel.Control,
            ["seq", "type", "request_seq", "success", "command", "message", "body"]),

        [MessageTypes.CreateSubshellRequest] = new(new CreateSubshellRequest(), MessageChannel.Control, []),

        [MessageTypes.CreateSubshellReply] = new(
            new CreateSubshellReply { SubshellId = "2c6f1b0e-6a0f-4c59-9d0e-2b0a3b5f9a11" },
            MessageChannel.Control,
            ["status", "subshell_id"]),

        [MessageTypes.DeleteSubshellRequest] = new(
            new DeleteSubshellRequest { SubshellId = "2c6f1b0e-6a0f-4c59-9d0e-2b0a3b5f9a11" },
            MessageChannel.Control,
            ["subshell_id"]),

        [MessageTypes.DeleteSubshellReply] = new(new DeleteSubshellReply(), MessageChannel.Control, ["status"]),

        [MessageTypes.ListSubshellRequest] = new(new ListSubshellRequest(), MessageChannel.Control, []),

        [MessageTypes.ListSubshellReply] = new(
            new ListSubshellReply { SubshellId = ["2c6f1b0e-6a0f-4c59-9d0e-2b0a3b5f9a11", "9d8e7f60-1a2b-4c3d-8e9f-0a1b2c3d4e5f"] },
            MessageChannel.Control,
            ["status", "subshell_id"]),

        [MessageTypes.Stream] = new(
            new StreamOutput { Name = StreamNames.Stderr, Text = "warning: <deprecated> & \"quoted\" ü\n" },
            MessageChannel.IOPub,
            ["name", "text"]),

        [MessageTypes.DisplayData] = new(
            new DisplayData
            {
                Data = Bundle(("text/plain", "\"<IPython.core.display.HTML object>\""), ("text/html", "\"<b>bold</b>\"")),
                Metadata = Bundle(),
                Transient = Bundle(("display_id", "\"b1946ac92492d2347c6235b4d2611184\"")),
            },
            MessageChannel.IOPub,
            ["data", "metadata", "transient"]),

        [MessageTypes.UpdateDisplayData] = new(
            new UpdateDisplayData
            {
                Data = Bundle(("text/plain", "\"50%\"")),
                Metadata = Bundle(),
                Transient = Bundle(("display_id", "\"b1946ac92492d2347c6235b4d2611184\"")),
            },
            MessageChannel.IOPub,
            ["data", "metadata", "transient"]),

        [MessageTypes.ExecuteInput] = new(
            new ExecuteInput { Code = "1 + 1", ExecutionCount = 7 },
            MessageChannel.IOPub,
            ["code", "execution_count"]),

        [MessageTypes.ExecuteResult] = new(
            new ExecuteResult
            {
                ExecutionCount = 7,
                Data = Bundle(("text/plain", "\"2\""), ("application/json", """{"value":2,"list":[1,2.5,null,true]}""")),
                Metadata = Bundle(("application/json", """{"expanded":true}""")),
                Transient = Bundle(("display_id", "\"result-7\"")),
            },
            MessageChannel.IOPub,
            ["execution_count", "data", "metadata", "transient"]),

        [MessageTypes.Error] = new(
            new ErrorContent
            {
                EName = "NameError",
                EValue = "name 'x' is not defined",
                Traceback =
                [
                    "\u001b[0;31m---------------------------------------------------------------------------\u001b[0m",
                    "\u001b[0;31mNameError\u001b[0m: name 'x' is not defined",
                ],
            },
            MessageChannel.IOPub,
            ["ename", "evalue", "traceback"]),

        [MessageTypes.Status] = new(
            new StatusContent { ExecutionState = ExecutionStates.Busy },
            MessageChannel.IOPub,
            ["execution_state"]),

        [MessageTypes.ClearOutput] = new(new ClearOutput { Wait = true }, MessageChannel.IOPub, ["wait"]),

        [MessageTypes.DebugEvent] = new(
            new DebugEvent
            {
                Seq = 12,
                Event = "stopped",
                Body = Json("""{"reason":"breakpoint","threadId":1,"allThreadsStopped":true}"""),
            },
            MessageChannel.IOPub,
            ["seq", "type", "event", "body"]),

        [MessageTypes.IOPubWelcome] = new(new IOPubWelcome { Subscription = "" }, MessageChannel.IOPub, ["subscription"]),

        [MessageTypes.CommOpen] = new(
            new CommOpen
            {
                CommId = "6a1f3c2e9b0d4d7f8e5a4b3c2d1e0f9a",
                TargetName = "jupyter.widget",
                Data = Bundle(("state", """{"_model_name":"IntSliderModel","value":5}"""), ("buffer_paths", "[]")),
                TargetModule = "ipywidgets",
            },
            MessageChannel.Shell,
            ["comm_id", "target_name", "data", "target_module"]),

        [MessageTypes.CommMsg] = new(
            new CommMsg
            {
                CommId = "6a1f3c2e9b0d4d7f8e5a4b3c2d1e0f9a",
                Data = Bundle(("method", "\"update\""), ("state", """{"value":6}"""), ("buffer_paths", "[]")),
            },
            MessageChannel.Shell,
            ["comm_id", "data"]),

        [MessageTypes.CommClose] = new(
            new CommClose { CommId = "6a1f3c2e9b0d4d7f8e5a4b3c2d1e0f9a", Data = Bundle() },
            MessageChannel.Shell,
            ["comm_id", "data"]),

        [MessageTypes.InputRequest] = new(
            new InputRequest { Prompt = "Password: ", Password = true },
            MessageChannel.Stdin,
            ["prompt", "password"]),

        [MessageTypes.InputReply] = new(new InputReply { Value = "hunter2" }, MessageChannel.Stdin, ["value"]),
    };

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static Dictionary<string, JsonElement> Bundle(params (string Key, string Json)[] entries)
    {
        var bundle = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, json) in entries)
        {
            bundle.Add(key, Json(json));
        }

        return bundle;
    }

    internal sealed record Sample(object Content, MessageChannel Channel, string[] ExpectedNames);
}
