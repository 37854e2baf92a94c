using System.Text.Json;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Comm;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Jupyter.Messages.Stdin;

namespace NotebookGateway.Jupyter.Tests.Messages;

/// <summary>Content JSON as kernels and frontends write it (key order, extra keys and all), written from the spec.</summary>
public sealed class RealWorldSamplesTests
{
    [Fact]
    public void Deserialize_IpykernelKernelInfoReply_ReadsEveryField()
    {
        var json = """
            {
              "status": "ok",
              "protocol_version": "5.3",
              "implementation": "ipython",
              "implementation_version": "8.5.0",
              "language_info": {
                "name": "python",
                "version": "3.11.2",
                "mimetype": "text/x-python",
                "codemirror_mode": {"name": "ipython", "version": 3},
                "pygments_lexer": "ipython3",
                "nbconvert_exporter": "python",
                "file_extension": ".py"
              },
              "banner": "Python 3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]\nType 'copyright', 'credits' or 'license' for more information\nIPython 8.5.0 -- An enhanced Interactive Python. Type '?' for help.\n",
              "help_links": [
                {"text": "Python Reference", "url": "https://docs.python.org/3.11"},
                {"text": "IPython Reference", "url": "https://ipython.org/documentation.html"},
                {"text": "NumPy Reference", "url": "https://docs.scipy.org/doc/numpy/reference/"}
              ],
              "debugger": true
            }
            """u8;

        var reply = MessageContentTypes.Deserialize<KernelInfoReply>(json);

        Assert.NotNull(reply);
        Assert.Equal(ReplyStatus.Ok, reply.Status);
        Assert.Equal("5.3", reply.ProtocolVersion);
        Assert.Equal("ipython", reply.Implementation);
        Assert.Equal("8.5.0", reply.ImplementationVersion);
        Assert.StartsWith("Python 3.11.2", reply.Banner, StringComparison.Ordinal);
        Assert.True(reply.Debugger);
        Assert.Null(reply.SupportedFeatures);
        Assert.Null(reply.EName);

        var language = reply.LanguageInfo;
        Assert.NotNull(language);
        Assert.Equal("python", language.Name);
        Assert.Equal("3.11.2", language.Version);
        Assert.Equal("text/x-python", language.Mimetype);
        Assert.Equal(".py", language.FileExtension);
        Assert.Equal("ipython3", language.PygmentsLexer);
        Assert.Equal("python", language.NbconvertExporter);
        Assert.NotNull(language.CodemirrorMode);
        var mode = language.CodemirrorMode.Value;
        Assert.Equal(JsonValueKind.Object, mode.ValueKind);
        Assert.Equal("ipython", mode.GetProperty("name").GetString());
        Assert.Equal(3, mode.GetProperty("version").GetInt32());

        Assert.NotNull(reply.HelpLinks);
        Assert.Equal(3, reply.HelpLinks.Count);
        Assert.Equal("Python Reference", reply.HelpLinks[0].Text);
        Assert.Equal("https://docs.python.org/3.11", reply.HelpLinks[0].Url);
    }

    [Fact]
    public void Deserialize_KernelInfoReplyWithStringCodemirrorModeAndFeatures_ReadsThem()
    {
        var json = """
            {"status":"ok","protocol_version":"5.5","implementation":"IRkernel","implementation_version":"1.3.2",
             "language_info":{"name":"R","codemirror_mode":"r","pygments_lexer":"r","mimetype":"text/x-r-source",
                              "file_extension":".r","version":"4.2.2","x_vendor":{"anything":[1,2]}},
             "banner":"R version 4.2.2","supported_features":["kernel subshells","debugger"],
             "help_links":[{"text":"R","url":"https://www.r-project.org","icon":"r.svg"}]}
            """u8;

        var reply = MessageContentTypes.Deserialize<KernelInfoReply>(json);

        Assert.NotNull(reply?.LanguageInfo?.CodemirrorMode);
        Assert.Equal(JsonValueKind.String, reply.LanguageInfo.CodemirrorMode.Value.ValueKind);
        Assert.Equal("r", reply.LanguageInfo.CodemirrorMode.Value.GetString());
        Assert.Null(reply.LanguageInfo.NbconvertExporter);
        Assert.Null(reply.Debugger);
        Assert.Equal(["kernel subshells", "debugger"], reply.SupportedFeatures);
        Assert.Equal("https://www.r-project.org", Assert.Single(reply.HelpLinks!).Url);
    }

    [Fact]
    public void Deserialize_ExecuteResultWithPlainTextAndPng_ReadsDataAndMetadata()
    {
        var json = """
            {
              "data": {
                "text/plain": "<Figure size 640x480 with 1 Axes>",
                "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\n"
              },
              "execution_count": 12,
              "metadata": {
                "image/png": {"width": 640, "height": 480},
                "needs_background": "light"
              }
            }
            """u8;

        var result = MessageContentTypes.Deserialize<ExecuteResult>(json);

        Assert.NotNull(result);
        Assert.Equal(12, result.ExecutionCount);
        Assert.Equal(2, result.Data.Count);
        Assert.Equal("<Figure size 640x480 with 1 Axes>", result.Data["text/plain"].GetString());
        var png = Convert.FromBase64String(result.Data["image/png"].GetString()!.Trim());
        Assert.Equal((byte[])[0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.Equal(640, result.Metadata["image/png"].GetProperty("width").GetInt32());
        Assert.Equal(480, result.Metadata["image/png"].GetProperty("height").GetInt32());
        Assert.Equal("light", result.Metadata["needs_background"].GetString());
        Assert.Null(result.Transient);
    }

    [Fact]
    public void Deserialize_ErrorWithAnsiTraceback_ReadsTraceback()
    {
        var json = """
            {
              "traceback": [
                "\u001b[0;31m---------------------------------------------------------------------------\u001b[0m",
                "\u001b[0;31mZeroDivisionError\u001b[0m                         Traceback (most recent call last)",
                "Cell \u001b[0;32mIn[3], line 1\u001b[0m\n\u001b[0;32m----> 1\u001b[0m \u001b[38;5;241;43m1\u001b[39;49m\u001b[38;5;241;43m/\u001b[39;49m\u001b[38;5;241;43m0\u001b[39;49m\n",
                "\u001b[0;31mZeroDivisionError\u001b[0m: division by zero"
              ],
              "ename": "ZeroDivisionError",
              "evalue": "division by zero"
            }
            """u8;

        var error = MessageContentTypes.Deserialize<ErrorContent>(json);

        Assert.NotNull(error);
        Assert.Equal("ZeroDivisionError", error.EName);
        Assert.Equal("division by zero", error.EValue);
        Assert.Equal(4, error.Traceback.Count);
        Assert.StartsWith("\u001b[0;31m", error.Traceback[0], StringComparison.Ordinal);
        Assert.Contains("In[3], line 1", error.Traceback[2], StringComparison.Ordinal);
        Assert.EndsWith(": division by zero", error.Traceback[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_ExecuteReplyError_ReadsStatusCountAndError()
    {
        var json = """
            {"status":"error","traceback":["\u001b[0;31mNameError\u001b[0m: name 'y' is not defined"],
             "ename":"NameError","evalue":"name 'y' is not defined",
             "engine_info":{"engine_uuid":"3f1c","engine_id":-1,"method":"execute"},"execution_count":4}
            """u8;

        var reply = MessageContentTypes.Deserialize<ExecuteReply>(json);

        Assert.NotNull(reply);
        var generic = Assert.IsAssignableFrom<IReplyContent>(reply);
        Assert.Equal(ReplyStatus.Error, generic.Status);
        Assert.Equal("NameError", generic.EName);
        Assert.Equal("name 'y' is not defined", generic.EValue);
        Assert.Single(generic.Traceback!);
        Assert.Equal(4, reply.ExecutionCount);
        Assert.Null(reply.Payload);
        Assert.Null(reply.UserExpressions);
    }

    [Fact]
    public void Deserialize_ExecuteReplyOkWithPayloadAndUserExpressions_ReadsThem()
    {
        var json = """
            {"status":"ok","execution_count":2,
             "user_expressions":{"now":{"status":"ok","data":{"text/plain":"'12:00'"},"metadata":{}},
                                 "bad":{"status":"error","ename":"NameError","evalue":"nope","traceback":[]}},
             "payload":[{"source":"page","data":{"text/plain":"Docstring"},"start":0}]}
            """u8;

        var reply = MessageContentTypes.Deserialize<ExecuteReply>(json);

        Assert.NotNull(reply);
        Assert.Equal(ReplyStatus.Ok, reply.Status);
        Assert.Equal(2, reply.ExecutionCount);
        Assert.Equal("page", Assert.Single(reply.Payload!).GetProperty("source").GetString());
        Assert.Equal("'12:00'", reply.UserExpressions!["now"].GetProperty("data").GetProperty("text/plain").GetString());
        Assert.Equal("error", reply.UserExpressions["bad"].GetProperty("status").GetString());
    }

    [Fact]
    public void Deserialize_AbortedExecuteReplyWithoutCount_LeavesCountNull()
    {
        var reply = MessageContentTypes.Deserialize<ExecuteReply>("""{"status":"aborted"}"""u8);

        Assert.NotNull(reply);
        Assert.Equal(ReplyStatus.Aborted, reply.Status);
        Assert.Null(reply.ExecutionCount);
    }

    [Fact]
    public void Deserialize_HistoryReplyWithInputTuples_ReadsSessionLineAndInput()
    {
        var json = """{"status":"ok","history":[[5,1,"import numpy as np"],[5,2,"np.arange(3)"]]}"""u8;

        var reply = MessageContentTypes.Deserialize<HistoryReply>(json);

        Assert.NotNull(reply?.History);
        var entries = reply.History.Value.EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(5, entries[1][0].GetInt32());
        Assert.Equal(2, entries[1][1].GetInt32());
        Assert.Equal("np.arange(3)", entries[1][2].GetString());
    }

    [Fact]
    public void Deserialize_HistoryReplyWithOutputTuples_ReadsInputAndOutputPairs()
    {
        var json = """{"history":[[5,2,["np.arange(3)","array([0, 1, 2])"]],[5,3,["x = 1",null]]],"status":"ok"}"""u8;

        var reply = MessageContentTypes.Deserialize<HistoryReply>(json);

        Assert.NotNull(reply?.History);
        var first = reply.History.Value[0];
        Assert.Equal(JsonValueKind.Array, first[2].ValueKind);
        Assert.Equal("np.arange(3)", first[2][0].GetString());
        Assert.Equal("array([0, 1, 2])", first[2][1].GetString());
        Assert.Equal(JsonValueKind.Null, reply.History.Value[1][2][1].ValueKind);
    }

    [Fact]
    public void Deserialize_IpykernelCompleteReply_ReadsMatchesCursorAndMetadata()
    {
        var json = """
            {"matches":["print","property"],"cursor_end":3,"cursor_start":0,
             "metadata":{"_jupyter_types_experimental":[{"start":0,"end":3,"text":"print","type":"function","signature":"(*args, sep=' ', end='\\n', file=None, flush=False)"},
                                                        {"start":0,"end":3,"text":"property","type":"class","signature":""}]},
             "status":"ok"}
            """u8;

        var reply = MessageContentTypes.Deserialize<CompleteReply>(json);

        Assert.NotNull(reply);
        Assert.Equal(["print", "property"], reply.Matches);
        Assert.Equal(0, reply.CursorStart);
        Assert.Equal(3, reply.CursorEnd);
        Assert.Equal("function", reply.Metadata!["_jupyter_types_experimental"][0].GetProperty("type").GetString());
    }

    [Fact]
    public void Deserialize_DisplayDataWithDisplayId_ReadsTransient()
    {
        var json = """
            {"data":{"text/plain":"<IPython.core.display.HTML object>","text/html":"<progress value='3' max='10'></progress>"},
             "metadata":{},"transient":{"display_id":"7a2b0c3e"}}
            """u8;

        var display = MessageContentTypes.Deserialize<DisplayData>(json);
        var update = MessageContentTypes.Deserialize<UpdateDisplayData>(json);

        Assert.NotNull(display?.Transient);
        Assert.Equal("7a2b0c3e", display.Transient["display_id"].GetString());
        Assert.Equal("<progress value='3' max='10'></progress>", display.Data["text/html"].GetString());
        Assert.Empty(display.Metadata);
        Assert.Equal("7a2b0c3e", update!.Transient["display_id"].GetString());
    }

    [Fact]
    public void Deserialize_IpywidgetsCommOpen_ReadsIdTargetAndState()
    {
        var json = """
            {"data":{"state":{"_model_module":"@jupyter-widgets/controls","_model_name":"IntSliderModel","value":5,"max":10},
                     "buffer_paths":[]},
             "comm_id":"c7b0e1d2a3f4","target_name":"jupyter.widget","target_module":null}
            """u8;

        var open = MessageContentTypes.Deserialize<CommOpen>(json);

        Assert.NotNull(open);
        Assert.Equal("c7b0e1d2a3f4", open.CommId);
        Assert.Equal("jupyter.widget", open.TargetName);
        Assert.Null(open.TargetModule);
        Assert.Equal("IntSliderModel", open.Data["state"].GetProperty("_model_name").GetString());
        Assert.Equal(0, open.Data["buffer_paths"].GetArrayLength());
    }

    [Fact]
    public void Deserialize_CommInfoReply_ReadsCommsById()
    {
        var json = """{"status":"ok","comms":{"c7b0e1d2a3f4":{"target_name":"jupyter.widget"},"a1":{"target_name":"jupyter.widget.version","extra":1}}}"""u8;

        var reply = MessageContentTypes.Deserialize<CommInfoReply>(json);

        Assert.NotNull(reply?.Comms);
        Assert.Equal(2, reply.Comms.Count);
        Assert.Equal("jupyter.widget.version", reply.Comms["a1"].TargetName);
    }

    [Fact]
    public void Deserialize_StatusAndStream_ReadStateAndText()
    {
        var status = MessageContentTypes.Deserialize<StatusContent>("""{"execution_state":"busy"}"""u8);
        var stream = MessageContentTypes.Deserialize<StreamOutput>("""{"name":"stderr","text":"\u001b[31mwarn\u001b[0m\n"}"""u8);

        Assert.Equal(ExecutionStates.Busy, status!.ExecutionState);
        Assert.Equal(StreamNames.Stderr, stream!.Name);
        Assert.Equal("\u001b[31mwarn\u001b[0m\n", stream.Text);
    }

    [Fact]
    public void Deserialize_InputRequestAndReply_ReadPromptPasswordAndValue()
    {
        var request = MessageContentTypes.Deserialize<InputRequest>("""{"prompt":"Name? ","password":false}"""u8);
        var reply = MessageContentTypes.Deserialize<InputReply>("""{"value":"Ada"}"""u8);

        Assert.Equal("Name? ", request!.Prompt);
        Assert.False(request.Password);
        Assert.Equal("Ada", reply!.Value);
    }

    [Fact]
    public void Deserialize_DebugEventStopped_ReadsEventAndBody()
    {
        var json = """{"seq":21,"type":"event","event":"stopped","body":{"reason":"breakpoint","threadId":1,"allThreadsStopped":true,"preserveFocusHint":false}}"""u8;

        var debugEvent = MessageContentTypes.Deserialize<DebugEvent>(json);

        Assert.NotNull(debugEvent?.Body);
        Assert.Equal(21, debugEvent.Seq);
        Assert.Equal("stopped", debugEvent.Event);
        Assert.Equal("breakpoint", debugEvent.Body.Value.GetProperty("reason").GetString());
    }

    [Fact]
    public void Deserialize_DebugInfoResponse_ReadsDapFields()
    {
        var json = """
            {"type":"response","request_seq":1,"success":true,"command":"debugInfo","seq":2,
             "body":{"isStarted":false,"hashMethod":"Murmur2","hashSeed":3339675911,"tmpFilePrefix":"/tmp/ipykernel_7/",
                     "tmpFileSuffix":".py","breakpoints":[],"stoppedThreads":[],"richRendering":true,"exceptionPaths":["Python Exceptions"]}}
            """u8;

        var reply = MessageContentTypes.Deserialize<DebugReply>(json);

        Assert.NotNull(reply?.Body);
        Assert.True(reply.Success);
        Assert.Equal(1, reply.RequestSeq);
        Assert.Equal("debugInfo", reply.Command);
        Assert.Equal("Murmur2", reply.Body.Value.GetProperty("hashMethod").GetString());
    }

    [Fact]
    public void Deserialize_SubshellReplies_ReadIds()
    {
        var created = MessageContentTypes.Deserialize<CreateSubshellReply>("""{"status":"ok","subshell_id":"a1b2"}"""u8);
        var listed = MessageContentTypes.Deserialize<ListSubshellReply>("""{"status":"ok","subshell_id":["a1b2","c3d4"]}"""u8);

        Assert.Equal("a1b2", created!.SubshellId);
        Assert.Equal(["a1b2", "c3d4"], listed!.SubshellId);
    }

    [Fact]
    public void Deserialize_IopubWelcomeAndIsCompleteReply_ReadFields()
    {
        var welcome = MessageContentTypes.Deserialize<IOPubWelcome>("""{"subscription":""}"""u8);
        var incomplete = MessageContentTypes.Deserialize<IsCompleteReply>("""{"status":"incomplete","indent":"    "}"""u8);

        Assert.Equal("", welcome!.Subscription);
        Assert.Equal(IsCompleteStatuses.Incomplete, incomplete!.Status);
        Assert.Equal("    ", incomplete.Indent);
    }

    [Fact]
    public void Deserialize_ShutdownReplyFromIopub_ReadsRestart()
    {
        var reply = MessageContentTypes.Deserialize<ShutdownReply>("""{"status":"ok","restart":true}"""u8);

        Assert.Equal(ReplyStatus.Ok, reply!.Status);
        Assert.True(reply.Restart);
    }

    [Fact]
    public void Deserialize_JupyterLabExecuteRequestWithExtraMembers_IgnoresThem()
    {
        var json = """
            {"silent":false,"store_history":true,"user_expressions":{},"allow_stdin":true,"stop_on_error":true,
             "code":"x = input()","cellId":"9a8b","record_timing":false}
            """u8;

        var request = MessageContentTypes.Deserialize<ExecuteRequest>(json);

        Assert.NotNull(request);
        Assert.Equal("x = input()", request.Code);
        Assert.True(request.AllowStdin);
        Assert.Empty(request.UserExpressions);
    }
}
