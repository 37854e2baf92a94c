using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Security;

/// <summary>
/// Issue 16 on real sandboxed ipykernels: code in the kernel holds its HMAC key and forges what the kernel could send
/// (status, execute_reply, input_request); the wall clock, the background CPU bound, culling and the relay go by what
/// the gateway itself sees.
/// </summary>
[Collection(ForgingKernelGatewayCollection.Name)]
public sealed class ForgedKernelMessagesTests(ForgingKernelGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    /// <summary>
    /// Sends a message as the kernel would, from code in the kernel (ipykernel 6: session, sockets and parent are
    /// reachable). Shell goes through the stream's raw socket: the stream itself would only send once the cell ends.
    /// </summary>
    private const string Forger = """
        import threading, time, uuid
        _k = get_ipython().kernel
        _cell = _k.get_parent("shell")
        def forge(socket, msg_type, content, parent=None, ident=None):
            _k.session.send(socket, msg_type, content, parent=parent if parent is not None else _cell, ident=ident)
        def invented_parent():
            header = dict(_cell["header"])
            header["msg_id"] = "forged-" + uuid.uuid4().hex
            return {"header": header}
        """;

    [Fact]
    public async Task ForgedIdle_EverySecond_TheWallClockStillStopsTheCell_AndTheApiShowsTheGatewaysView()
    {
        string id = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(id);
        string code = Forger + """

            def lie():
                for _ in range(15):
                    forge(_k.iopub_socket, "status", {"execution_state": "idle"}, ident=_k._topic("status"))
                    time.sleep(1)
            threading.Thread(target=lie, daemon=True).start()
            time.sleep(12)
            """;
        JsonObject request = JupyterMessages.ExecuteRequest(socket.SessionId, code);
        string msgId = JupyterMessages.MsgId(request);
        var clock = Stopwatch.StartNew();
        await socket.SendAsync(request);

        // The forged idle reaches the client (it is the kernel's to say), but the gateway knows the cell is outstanding.
        await socket.WaitForAsync(f => f.MsgType == "status" && f.ParentMsgId == msgId && f.ContentText("execution_state") == "idle", TestTimeouts.Step, "a forged idle");
        JsonObject model = (JsonObject)(await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}")).Json!;
        Assert.Equal("idle", model["execution_state"]?.GetValue<string>());
        Assert.Equal("busy", model["gateway_execution_state"]?.GetValue<string>());

        ReceivedFrame reply = await socket.WaitForAsync(f => f.MsgType == "execute_reply" && f.ParentMsgId == msgId, TestTimeouts.Step, "the cell's reply");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(11), $"the cell ran {clock.Elapsed}: the forged idle stopped the wall clock");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(ForgingKernelGatewayFixture.WallClockSeconds - 0.5), $"stopped after {clock.Elapsed}, before the limit");
        Assert.Equal("error", reply.ContentText("status"));
        Assert.Contains(socket.Frames, f => f.ParentMsgId == msgId && f.MsgType == "stream" && (f.ContentText("text") ?? "").StartsWith("[execution stopped: this cell ran longer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ForgedEarlyReply_ThenComputing_IsStoppedByTheBackgroundCpuBound()
    {
        string id = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(id);
        await socket.ExecuteAsync("kept = 41");
        double forgedBefore = await ForgedCountAsync("execute_reply");
        string code = Forger + """

            forge(_k.shell_stream.socket, "execute_reply", {"status": "ok", "execution_count": 1, "user_expressions": {}, "payload": []}, ident=_k._parent_ident["shell"])
            while True:
                pass
            """;
        JsonObject request = JupyterMessages.ExecuteRequest(socket.SessionId, code);
        string msgId = JupyterMessages.MsgId(request);
        await socket.SendAsync(request);

        ReceivedFrame early = await socket.WaitForAsync(f => f.MsgType == "execute_reply" && f.ParentMsgId == msgId, TestTimeouts.Step, "the forged reply");
        Assert.Equal("ok", early.ContentText("status"));
        // The wall clock stopped with the (forged) reply; the busy loop goes on with no cell outstanding.
        ReceivedFrame notice = await socket.WaitForAsync(
            f => f.MsgType == "stream" && (f.ContentText("text") ?? "").StartsWith("[kernel interrupted: it used", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the background CPU notice");
        Assert.Contains($"(the limit is {ForgingKernelGatewayFixture.BackgroundCpuSeconds} s)", notice.ContentText("text"), StringComparison.Ordinal);

        // The interrupt ended the loop: the kernel keeps its state, and the loop's own (second) reply was dropped and counted.
        Assert.Equal("42", (await socket.ExecuteAsync("kept + 1", TestTimeouts.Step)).ResultText);
        Assert.Single(socket.Frames, f => f.MsgType == "execute_reply" && f.ParentMsgId == msgId);
        Assert.True(await ForgedCountAsync("execute_reply") >= forgedBefore + 1, "the second reply to one request was not counted");
    }

    [Fact]
    public async Task ForgedBusyForever_WithNoClient_IsCulledOnSchedule()
    {
        string id = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(id);
        string code = Forger + """

            def claim_busy():
                while True:
                    forge(_k.iopub_socket, "status", {"execution_state": "busy"}, ident=_k._topic("status"))
                    time.sleep(0.5)
            threading.Thread(target=claim_busy, daemon=True).start()
            """;
        await socket.ExecuteAsync(code);
        await socket.WaitUntilAsync(frames => frames.Count(f => f.MsgType == "status" && f.ContentText("execution_state") == "busy") >= 3, TestTimeouts.Step, "forged busy statuses");
        await socket.CloseAsync();
        var clock = Stopwatch.StartNew();

        // The kernel says busy; the gateway sees no cell outstanding and an idle cgroup.
        JsonObject model = new();
        while (clock.Elapsed < TestTimeouts.Step && model["gateway_execution_state"]?.GetValue<string>() != "idle")
        {
            model = (JsonObject)(await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}")).Json!;
            await Task.Delay(100); // polling the API, which is not activity
        }
        Assert.Equal("idle", model["gateway_execution_state"]?.GetValue<string>());
        Assert.Equal("busy", model["execution_state"]?.GetValue<string>());
        HttpStatusCode status = HttpStatusCode.OK;
        TimeSpan deadline = TimeSpan.FromSeconds(ForgingKernelGatewayFixture.IdleTimeoutSeconds + 10);
        while (status == HttpStatusCode.OK && clock.Elapsed < deadline)
        {
            status = (await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}")).Status;
            await Task.Delay(250); // polling the API, which is not activity
        }
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task ForgedRepliesInputRequestsAndStatuses_ForRequestsNeverSent_ReachNoClientAndAreCounted()
    {
        string id = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(id);
        KernelSocket other = await ConnectAsync(id, "another-client");
        (double replies, double inputs, double statuses) = (await ForgedCountAsync("execute_reply"), await ForgedCountAsync("input_request"), await ForgedCountAsync("status"));
        double events = await SecurityEventsAsync();
        string code = Forger + """

            for _ in range(5):
                p = invented_parent()
                forge(_k.shell_stream.socket, "execute_reply", {"status": "ok", "execution_count": 1, "user_expressions": {}, "payload": []}, parent=p, ident=_k._parent_ident["shell"])
                forge(_k.stdin_socket, "input_request", {"prompt": "password: ", "password": True}, parent=p, ident=_k._parent_ident["shell"])
                forge(_k.iopub_socket, "status", {"execution_state": "idle"}, parent=p, ident=_k._topic("status"))
            print("forged")
            """;

        ExecuteResult result = await socket.ExecuteAsync(code, TestTimeouts.Step);
        Assert.Equal("ok", result.Status);
        Assert.Equal("forged\n", result.Stdout);
        // Both clients: a kernel_info round trip after the cell proves anything forged would have arrived by now.
        await socket.KernelInfoAsync();
        await other.KernelInfoAsync();
        Assert.DoesNotContain(socket.Frames.Concat(other.Frames), f => (f.ParentMsgId ?? "").StartsWith("forged-", StringComparison.Ordinal));
        Assert.True(await ForgedCountAsync("execute_reply") >= replies + 5, "forged replies not counted");
        Assert.True(await ForgedCountAsync("input_request") >= inputs + 5, "forged input requests not counted");
        Assert.True(await ForgedCountAsync("status") >= statuses + 5, "forged statuses not counted");
        Assert.True(await SecurityEventsAsync() > events, "no security event for the forgeries");
        Assert.Contains("SECURITY forged_message", Gateway.Output, StringComparison.Ordinal);
    }

    private async Task<double> ForgedCountAsync(string msgType) =>
        MetricsText.Value(await ScrapeAsync(), "kernel_forged_messages_total", $"msg_type=\"{msgType}\"");

    private async Task<double> SecurityEventsAsync() => MetricsText.Value(await ScrapeAsync(), "security_events_total", "kind=\"forged_message\"");

    private async Task<string> ScrapeAsync()
    {
        RestResponse metrics = await GatewayRest.GetAsync(Gateway, "metrics");
        GatewayRest.ExpectStatus(metrics, HttpStatusCode.OK, Gateway);
        return metrics.Body;
    }
}

/// <summary>A 5 s wall clock, 3 s of background CPU per 10 s, CPU read every 0.5 s, and a culler taking unconnected kernels idle for 6 s.</summary>
public sealed class ForgingKernelGatewayFixture : GatewayFixture
{
    public const int WallClockSeconds = 5;
    public const int BackgroundCpuSeconds = 3;
    public const int IdleTimeoutSeconds = 6;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Execution:WallClockSecondsPerCell"] = WallClockSeconds.ToString(CultureInfo.InvariantCulture),
        ["Execution:InterruptGraceSeconds"] = "3",
        ["Execution:BackgroundCpuSecondsPerWindow"] = BackgroundCpuSeconds.ToString(CultureInfo.InvariantCulture),
        ["Execution:BackgroundCpuWindowSeconds"] = "10",
        ["Execution:CpuSampleSeconds"] = "0.5",
        ["Culling:IdleTimeoutSeconds"] = IdleTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
        ["Culling:IntervalSeconds"] = "1",
    };
}

[CollectionDefinition(Name)]
public sealed class ForgingKernelGatewayCollection : ICollectionFixture<ForgingKernelGatewayFixture>
{
    public const string Name = "gateway facing a kernel that forges messages";
}
