using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.WebSockets;

/// <summary>§7 items 27–37, 43 and 44: messages over <c>/api/kernels/{id}/channels</c> in both wire protocols.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class ChannelsTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string PngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    [Fact]
    public async Task Kernel_info_request_in_json_gets_a_kernel_info_reply_on_shell()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync(), ready: false);
        Assert.Null(socket.SubProtocol);
        JsonObject request = JupyterMessages.KernelInfoRequest(socket.SessionId, "shell");
        await socket.SendAsync(request);
        ReceivedFrame reply = await socket.WaitForAsync(f => f.ParentMsgId == JupyterMessages.MsgId(request) && f.MsgType == "kernel_info_reply",
            TestTimeouts.KernelStart, "kernel_info_reply");
        Assert.Equal(WebSocketMessageType.Text, reply.FrameType);
        Assert.Equal("shell", reply.Channel);
        Assert.Equal("ok", reply.ContentText("status"));
        Assert.Matches(@"^5\.\d+$", reply.ContentText("protocol_version") ?? "");
        Assert.Equal("python", reply.Content?["language_info"]?["name"]?.GetValue<string>());
    }

    [Fact]
    public async Task Print_and_result_arrive_on_iopub_in_order_with_the_request_as_parent()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());
        ExecuteResult result = await socket.ExecuteAsync("print('hi'); 6*7");
        Assert.Equal("ok", result.Status);
        Assert.Equal(["status", "execute_input", "stream", "execute_result", "status"], result.IOPubTypes);
        Assert.Equal("busy", result.IOPub[0].ContentText("execution_state"));
        Assert.Equal("stdout", result.IOPub[2].ContentText("name"));
        Assert.Equal("hi\n", result.IOPub[2].ContentText("text"));
        Assert.Equal("42", result.ResultText);
        Assert.Equal("idle", result.IOPub[4].ContentText("execution_state"));
        Assert.Equal("shell", result.Reply.Channel);
        Assert.All(result.IOPub, f => Assert.Equal(result.MsgId, f.ParentMsgId));
    }

    [Fact]
    public async Task Division_by_zero_gives_an_error_and_an_error_reply()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());
        ExecuteResult result = await socket.ExecuteAsync("1/0");
        Assert.Equal("error", result.Status);
        Assert.Equal("ZeroDivisionError", result.Reply.ContentText("ename"));
        Assert.Equal("ZeroDivisionError", result.ErrorName);
        Assert.IsType<JsonArray>(result.IOPub.First(f => f.MsgType == "error").Content?["traceback"]);
    }

    [Fact]
    public async Task Display_data_with_a_png_is_relayed_unchanged()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());
        ExecuteResult result = await socket.ExecuteAsync(
            $"from IPython.display import display\ndisplay({{'image/png': '{PngBase64}', 'text/plain': 'x'}}, raw=True)");
        Assert.Equal("ok", result.Status);
        ReceivedFrame display = Assert.Single(result.IOPub, f => f.MsgType == "display_data");
        Assert.Equal(PngBase64, display.Content?["data"]?["image/png"]?.GetValue<string>());
        Assert.Equal("x", display.Content?["data"]?["text/plain"]?.GetValue<string>());
    }

    [Fact]
    public async Task Input_request_goes_only_to_the_requesting_socket_while_iopub_goes_to_both()
    {
        string kernel = await Fixture.SharedKernelAsync();
        KernelSocket requester = await ConnectAsync(kernel, "requester-" + Guid.NewGuid());
        KernelSocket watcher = await ConnectAsync(kernel, "watcher-" + Guid.NewGuid());

        ExecuteResult result = await requester.ExecuteAsync("name = input('name? ')\nprint('got ' + name)", onInputRequest: async request =>
        {
            Assert.Equal("name? ", request.ContentText("prompt"));
            await requester.SendAsync(JupyterMessages.InputReply(requester.SessionId, (JsonObject)request.Message!["header"]!, "bob"));
        });
        Assert.Equal("ok", result.Status);
        Assert.Equal("got bob\n", result.Stdout);
        Assert.Single(result.Stdin);
        Assert.Equal("stdin", result.Stdin[0].Channel);

        // The watcher sees the same cell's iopub up to idle, and nothing on stdin or shell for it.
        await watcher.WaitForAsync(f => f.ParentMsgId == result.MsgId && f.MsgType == "status" && f.ContentText("execution_state") == "idle",
            TestTimeouts.Reply, "idle on the watching socket");
        ReceivedFrame[] watched = watcher.Frames.Where(f => f.ParentMsgId == result.MsgId).ToArray();
        Assert.Contains(watched, f => f.MsgType == "stream" && f.ContentText("text") == "got bob\n");
        Assert.All(watched, f => Assert.Equal("iopub", f.Channel));
    }

    [Fact]
    public async Task Complete_inspect_is_complete_and_comm_info_are_answered_on_shell()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());
        var requests = new (string Type, JsonObject Content)[]
        {
            ("complete_request", new JsonObject { ["code"] = "impo", ["cursor_pos"] = 4 }),
            ("inspect_request", new JsonObject { ["code"] = "len", ["cursor_pos"] = 3, ["detail_level"] = 0 }),
            ("is_complete_request", new JsonObject { ["code"] = "for i in range(3):" }),
            ("comm_info_request", new JsonObject()),
        };
        foreach (var (type, content) in requests)
        {
            JsonObject request = JupyterMessages.Create(type, content, socket.SessionId);
            await socket.SendAsync(request);
            string replyType = type.Replace("_request", "_reply", StringComparison.Ordinal);
            ReceivedFrame reply = await socket.WaitForAsync(f => f.ParentMsgId == JupyterMessages.MsgId(request) && f.MsgType == replyType, TestTimeouts.Reply, replyType);
            Assert.Equal("shell", reply.Channel);
            switch (type)
            {
                case "complete_request":
                    Assert.Equal("ok", reply.ContentText("status"));
                    Assert.Contains("import", reply.Content!["matches"]!.AsArray().Select(m => m!.GetValue<string>()));
                    break;
                case "inspect_request":
                    Assert.Equal("ok", reply.ContentText("status"));
                    Assert.True(reply.Content!["found"]!.GetValue<bool>(), reply.ToString());
                    break;
                case "is_complete_request":
                    Assert.Equal("incomplete", reply.ContentText("status"));
                    break;
                default:
                    Assert.Equal("ok", reply.ContentText("status"));
                    Assert.IsType<JsonObject>(reply.Content!["comms"]);
                    break;
            }
        }
    }

    [Fact]
    public async Task Interrupt_request_on_control_gets_an_interrupt_reply_on_control()
    {
        string kernel = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(kernel);
        JsonObject request = JupyterMessages.Create("interrupt_request", new JsonObject(), socket.SessionId, "control");
        await socket.SendAsync(request);
        ReceivedFrame reply = await socket.WaitForAsync(f => f.ParentMsgId == JupyterMessages.MsgId(request) && f.MsgType == "interrupt_reply", TestTimeouts.Reply, "interrupt_reply");
        Assert.Equal("control", reply.Channel);
        Assert.Equal("ok", (await socket.ExecuteAsync("1+1")).Status);
    }

    [Fact]
    public async Task A_frame_without_channel_goes_to_shell_and_an_unknown_channel_is_dropped_without_closing()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());

        JsonObject noChannel = JupyterMessages.KernelInfoRequest(socket.SessionId, channel: null);
        await socket.SendAsync(noChannel);
        ReceivedFrame reply = await socket.WaitForAsync(f => f.ParentMsgId == JupyterMessages.MsgId(noChannel) && f.MsgType == "kernel_info_reply", TestTimeouts.Reply, "reply to a frame without channel");
        Assert.Equal("shell", reply.Channel);

        // The kernel answers shell requests in order: once the later request is answered, an earlier one that had
        // been forwarded would have been answered too.
        JsonObject bogus = JupyterMessages.KernelInfoRequest(socket.SessionId, channel: "bogus");
        JsonObject later = JupyterMessages.KernelInfoRequest(socket.SessionId, channel: "shell");
        await socket.SendAsync(bogus);
        await socket.SendAsync(later);
        await socket.WaitForAsync(f => f.ParentMsgId == JupyterMessages.MsgId(later) && f.MsgType == "kernel_info_reply", TestTimeouts.Reply, "reply after an unknown channel");
        Assert.DoesNotContain(socket.Frames, f => f.ParentMsgId == JupyterMessages.MsgId(bogus) && f.Channel != "iopub");
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task Every_outbound_frame_is_a_complete_message_and_carries_no_signature_or_key()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());
        await socket.ExecuteAsync("print('shape'); 1/0");
        await socket.ExecuteAsync("import sys; print('err', file=sys.stderr); 6*7");
        Assert.NotEmpty(socket.Frames);
        foreach (ReceivedFrame frame in socket.Frames)
        {
            Assert.True(frame.DecodeError is null, frame.ToString());
            JsonObject message = frame.Message!;
            foreach (string key in new[] { "channel", "header", "parent_header", "metadata", "content", "msg_id", "msg_type" })
            {
                Assert.True(message.ContainsKey(key), $"{key} missing in {message.ToJsonString()}");
            }
            Assert.Contains(frame.Channel, new[] { "shell", "iopub", "stdin", "control" });
            Assert.Equal(frame.MsgId, message["msg_id"]?.GetValue<string>());
            Assert.Equal(frame.MsgType, message["msg_type"]?.GetValue<string>());
            Assert.IsType<JsonObject>(message["header"]);
            Assert.IsType<JsonObject>(message["parent_header"]);
            Assert.IsType<JsonObject>(message["metadata"]);
            Assert.IsType<JsonObject>(message["content"]);
            Assert.False(message.ContainsKey("signature"), $"a signature reached the client: {message.ToJsonString()}");
            Assert.False(message.ContainsKey("key"), $"a key reached the client: {message.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Offered_v1_subprotocol_is_selected_and_kernel_info_and_execute_round_trip_in_v1_frames()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync(), subprotocols: [WireFormats.V1Protocol], ready: false);
        Assert.Equal(WireFormats.V1Protocol, socket.SubProtocol);
        Assert.True(socket.IsV1);

        ReceivedFrame reply = await socket.KernelInfoAsync();
        Assert.Equal("shell", reply.Channel);
        Assert.Equal("ok", reply.ContentText("status"));
        ExecuteResult result = await socket.ExecuteAsync("print('v1'); 6*7");
        Assert.Equal("v1\n", result.Stdout);
        Assert.Equal("42", result.ResultText);

        foreach (ReceivedFrame frame in socket.Frames)
        {
            Assert.Equal(WebSocketMessageType.Binary, frame.FrameType);
            Assert.True(frame.DecodeError is null, frame.ToString());
            if (frame.Buffers.Count == 0)
            {
                Assert.Equal(6, frame.OffsetCount);
                Assert.Equal(56, frame.FirstOffset);
                Assert.Equal(6UL, BinaryPrimitives.ReadUInt64LittleEndian(frame.Raw));
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("unknown.protocol.example")]
    [InlineData("unknown.protocol.example,v2.kernel.websocket.jupyter.org")]
    public async Task Without_a_known_subprotocol_none_is_selected_and_json_is_spoken(string offered)
    {
        string[] protocols = offered.Split(',', StringSplitOptions.RemoveEmptyEntries);
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync(), subprotocols: protocols, ready: false);
        Assert.Null(socket.SubProtocol);
        Assert.False(socket.ResponseHeaders.ContainsKey("Sec-WebSocket-Protocol"), "no Sec-WebSocket-Protocol header when nothing known was offered");
        ReceivedFrame reply = await socket.KernelInfoAsync();
        Assert.Equal(WebSocketMessageType.Text, reply.FrameType);
    }

    [Fact]
    public async Task A_message_with_buffers_is_a_binary_frame_with_big_endian_offsets_in_the_default_protocol()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());
        ExecuteResult result = await socket.ExecuteAsync(
            "from ipykernel.comm import Comm\n" +
            "c = Comm(target_name='nbgw-buffers', data={'hello': 1}, buffers=[b'\\x01\\x02\\x03', b'abc'])\n" +
            "c.close()");
        Assert.Equal("ok", result.Status);
        ReceivedFrame open = Assert.Single(result.IOPub, f => f.MsgType == "comm_open");
        Assert.Equal(WebSocketMessageType.Binary, open.FrameType);
        Assert.True(open.DecodeError is null, open.ToString());
        Assert.Equal(3, open.OffsetCount);
        Assert.Equal(16, open.FirstOffset);
        Assert.Equal(3U, BinaryPrimitives.ReadUInt32BigEndian(open.Raw));
        Assert.Equal([new byte[] { 1, 2, 3 }, "abc"u8.ToArray()], open.Buffers);
        Assert.Equal("nbgw-buffers", open.ContentText("target_name"));
    }

    [Fact]
    public async Task Past_the_iopub_data_rate_one_stderr_notice_is_sent_and_output_resumes_after_idle()
    {
        string kernel = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(kernel);
        // 5 MB in one burst: well past 1 MB/s over a 3 s window (and under the 10 MiB per-cell output cap).
        ExecuteResult flood = await socket.ExecuteAsync("for i in range(50):\n    print('x' * 100_000, flush=True)", TestTimeouts.Step);
        Assert.Equal("ok", flood.Status);
        ReceivedFrame[] notices = flood.IOPub.Where(f => f.MsgType == "stream" && f.ContentText("name") == "stderr").ToArray();
        Assert.True(notices.Length == 1, $"expected one stderr notice, got {notices.Length}:\n{string.Join('\n', notices.Select(n => n.ContentText("text")))}");
        int delivered = flood.IOPub.Count(f => f.MsgType == "stream" && f.ContentText("name") == "stdout");
        Assert.True(delivered < 50, $"all 50 outputs were delivered: no rate limit");

        ExecuteResult after = await socket.ExecuteAsync("print('after')");
        Assert.Equal("after\n", after.Stdout);
    }
}
