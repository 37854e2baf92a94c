using System.Diagnostics;
using System.Text.Json;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Testing;

namespace NotebookGateway.Jupyter.Tests.Client;

/// <summary>Our client against a real ipykernel; run once over ipc and once over tcp.</summary>
public abstract class KernelClientIpyKernelTests(IpyKernelFixture fixture)
{
    private const string TinyPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    private KernelClient Client => fixture.Client;

    private static CancellationToken Timeout() => new CancellationTokenSource(TestTimeouts.Long).Token;

    [Fact]
    public async Task KernelInfo_RealIpyKernel_ReportsPythonAndProtocol5()
    {
        JupyterMessage reply = await Client.KernelInfoAsync(Timeout());
        KernelInfoReply info = reply.ReadContent(JupyterMessageJsonContext.Default.KernelInfoReply)!;

        Assert.Equal(MessageTypes.KernelInfoReply, reply.MsgType);
        Assert.StartsWith("5.", info.ProtocolVersion, StringComparison.Ordinal);
        Assert.Equal("python", info.LanguageInfo!.Name);
        Assert.Equal(0, Client.RejectedMessages);
    }

    [Fact]
    public async Task Execute_PrintAndExpression_StreamsThenResultInOrder()
    {
        ExecutionOutcome outcome = await Client.ExecuteAsync("print('hi'); 6*7", cancellationToken: Timeout());

        Assert.Equal(ReplyStatus.Ok, outcome.Status);
        Assert.Equal("hi\n", outcome.StreamText());
        JupyterMessage result = Assert.Single(outcome.OutputsOfType(MessageTypes.ExecuteResult));
        Assert.Equal("42", TextPlain(result));
        string[] order = outcome.Outputs.Select(m => m.MsgType == MessageTypes.Status ? "status:" + m.GetContentString("execution_state") : m.MsgType).ToArray();
        Assert.Equal(["status:busy", MessageTypes.ExecuteInput, MessageTypes.Stream, MessageTypes.ExecuteResult, "status:idle"], order);
    }

    [Fact]
    public async Task Execute_DivisionByZero_ReportsErrorWithTraceback()
    {
        ExecutionOutcome outcome = await Client.ExecuteAsync("1/0", cancellationToken: Timeout());

        Assert.Equal(ReplyStatus.Error, outcome.Status);
        JupyterMessage error = Assert.Single(outcome.OutputsOfType(MessageTypes.Error));
        using JsonDocument content = JsonDocument.Parse(error.ContentJson);
        Assert.Equal("ZeroDivisionError", content.RootElement.GetProperty("ename").GetString());
        Assert.Contains("division by zero", content.RootElement.GetProperty("evalue").GetString(), StringComparison.Ordinal);
        Assert.True(content.RootElement.GetProperty("traceback").GetArrayLength() > 0);
        Assert.Equal("ZeroDivisionError", outcome.Reply.GetContentString("ename"));
    }

    [Fact]
    public async Task Execute_DisplayPng_PublishesDisplayDataWithImage()
    {
        string code = $"from IPython.display import display\ndisplay({{'image/png': '{TinyPng}', 'text/plain': '<img>'}}, raw=True)";

        ExecutionOutcome outcome = await Client.ExecuteAsync(code, cancellationToken: Timeout());

        JupyterMessage display = Assert.Single(outcome.OutputsOfType(MessageTypes.DisplayData));
        using JsonDocument content = JsonDocument.Parse(display.ContentJson);
        string png = content.RootElement.GetProperty("data").GetProperty("image/png").GetString()!;
        Assert.Equal(TinyPng, png.Trim());
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], Convert.FromBase64String(png)[..4]);
    }

    [Fact]
    public async Task Complete_ModuleAttribute_ListsMatches()
    {
        await Client.ExecuteAsync("import os", cancellationToken: Timeout());
        JupyterMessage reply = await Client.RequestAsync(Client.CreateMessage(new CompleteRequest { Code = "os.pa", CursorPos = 5 }), cancellationToken: Timeout());

        CompleteReply complete = reply.ReadContent(JupyterMessageJsonContext.Default.CompleteReply)!;
        Assert.Equal(ReplyStatus.Ok, complete.Status);
        Assert.Contains(complete.Matches!, m => m.EndsWith("path", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Inspect_Builtin_ReturnsDocumentation()
    {
        JupyterMessage reply = await Client.RequestAsync(Client.CreateMessage(new InspectRequest { Code = "print", CursorPos = 5, DetailLevel = 0 }), cancellationToken: Timeout());

        InspectReply inspect = reply.ReadContent(JupyterMessageJsonContext.Default.InspectReply)!;
        Assert.True(inspect.Found);
        Assert.Contains("print", inspect.Data!["text/plain"].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("for i in range(3):", "incomplete")]
    [InlineData("1 + 1", "complete")]
    [InlineData("1 +* 2 )", "invalid")]
    public async Task IsComplete_Code_ReportsStatus(string code, string expected)
    {
        JupyterMessage reply = await Client.RequestAsync(Client.CreateMessage(new IsCompleteRequest { Code = code }), cancellationToken: Timeout());

        Assert.Equal(expected, reply.GetContentString("status"));
    }

    [Fact]
    public async Task History_Tail_ContainsExecutedCode()
    {
        string marker = "history_marker_" + Guid.NewGuid().ToString("N")[..8];
        await Client.ExecuteAsync($"{marker} = 1", cancellationToken: Timeout());

        JupyterMessage reply = await Client.RequestAsync(Client.CreateMessage(new HistoryRequest
        {
            HistAccessType = HistoryAccessTypes.Tail,
            N = 50,
            Output = false,
            Raw = true,
        }), cancellationToken: Timeout());

        Assert.Equal(ReplyStatus.Ok, reply.GetContentString("status"));
        Assert.Contains(marker, System.Text.Encoding.UTF8.GetString(reply.ContentJson.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommInfo_NoComms_ReplyOkWithEmptyMap()
    {
        JupyterMessage reply = await Client.RequestAsync(Client.CreateMessage(new CommInfoRequest()), cancellationToken: Timeout());

        using JsonDocument content = JsonDocument.Parse(reply.ContentJson);
        Assert.Equal("ok", content.RootElement.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, content.RootElement.GetProperty("comms").ValueKind);
    }

    [Fact]
    public async Task Execute_Input_PromptGoesToRequesterAndAnswerReachesKernel()
    {
        string? seenPrompt = null;
        ExecutionOutcome outcome = await Client.ExecuteAsync("x = input('name? ')\nprint('got', x)", new ExecuteOptions
        {
            Input = (prompt, password) =>
            {
                seenPrompt = prompt;
                return ValueTask.FromResult("bob");
            },
        }, Timeout());

        Assert.Equal("name? ", seenPrompt);
        Assert.Equal("got bob\n", outcome.StreamText());
    }

    [Fact]
    public async Task Interrupt_SleepingCell_EndsWithKeyboardInterruptWithinFiveSeconds()
    {
        Task<ExecutionOutcome> running = await SleepingCell.StartAsync(Client, Timeout());

        var clock = Stopwatch.StartNew();
        await Client.InterruptAsync(Timeout());
        ExecutionOutcome outcome = await running.WaitAsync(SleepingCell.InterruptedWithin);
        clock.Stop();

        Assert.Equal(ReplyStatus.Error, outcome.Status);
        Assert.Equal("KeyboardInterrupt", outcome.Reply.GetContentString("ename"));
        Assert.True(clock.Elapsed < SleepingCell.InterruptedWithin, $"interrupt took {clock.Elapsed}");
    }

    [Fact]
    public async Task ForgedReplies_ForARequestNeverSentOrAlreadyAnswered_AreDroppedAndRaisedAsUnmatched()
    {
        var unmatched = new List<JupyterMessage>();
        var threeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnUnmatched(MessageChannel channel, JupyterMessage message)
        {
            lock (unmatched)
            {
                unmatched.Add(message);
                if (unmatched.Count(m => m.MsgType == MessageTypes.ExecuteReply) >= 2 && unmatched.Any(m => m.MsgType == MessageTypes.InputRequest))
                {
                    threeSeen.TrySetResult();
                }
            }
        }
        Client.Unmatched += OnUnmatched;
        try
        {
            // Code in the kernel holds the key: it answers its own cell early (so the real reply comes second) and
            // answers, and asks input for, a request nobody sent.
            const string Code = """
                _k = get_ipython().kernel
                _cell = _k.get_parent("shell")
                _reply = {"status": "ok", "execution_count": 1, "user_expressions": {}, "payload": []}
                _k.session.send(_k.shell_stream.socket, "execute_reply", _reply, parent=_cell, ident=_k._parent_ident["shell"])
                _invented = {"header": dict(_cell["header"], msg_id="never-sent")}
                _k.session.send(_k.shell_stream.socket, "execute_reply", _reply, parent=_invented, ident=_k._parent_ident["shell"])
                _k.session.send(_k.stdin_socket, "input_request", {"prompt": "", "password": False}, parent=_invented, ident=_k._parent_ident["shell"])
                """;
            JupyterMessage request = Client.CreateMessage(new ExecuteRequest { Code = Code });
            JupyterMessage reply = await Client.RequestAsync(request, MessageChannel.Shell, null, Timeout());

            Assert.True(Client.HasSent(request.MsgId));
            Assert.False(Client.HasSent("never-sent"));
            Assert.Equal("ok", reply.GetContentString("status")); // the forged one came first and counts; the real one is the duplicate
            await threeSeen.Task.WaitAsync(TestTimeouts.Long);
            lock (unmatched)
            {
                Assert.Contains(unmatched, m => m.MsgType == MessageTypes.ExecuteReply && m.ParentMsgId == request.MsgId);
                Assert.Contains(unmatched, m => m.MsgType == MessageTypes.ExecuteReply && m.ParentMsgId == "never-sent");
                Assert.Contains(unmatched, m => m.MsgType == MessageTypes.InputRequest && m.ParentMsgId == "never-sent");
            }
        }
        finally
        {
            Client.Unmatched -= OnUnmatched;
        }
    }

    private static string? TextPlain(JupyterMessage message)
    {
        using JsonDocument content = JsonDocument.Parse(message.ContentJson);
        return content.RootElement.GetProperty("data").GetProperty("text/plain").GetString();
    }
}

[Collection(RealKernelCollection.Name)]
public sealed class KernelClientIpyKernelIpcTests(IpcIpyKernelFixture fixture) : KernelClientIpyKernelTests(fixture), IClassFixture<IpcIpyKernelFixture>;

[Collection(RealKernelCollection.Name)]
public sealed class KernelClientIpyKernelTcpTests(TcpIpyKernelFixture fixture) : KernelClientIpyKernelTests(fixture), IClassFixture<TcpIpyKernelFixture>;
