using System.Net;
using System.Net.WebSockets;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.WebSockets;

/// <summary>§7 items 38–42: connection bookkeeping by client session id, replay, kernel death and deletion.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class ChannelConnectionsTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task A_second_socket_with_the_same_session_id_closes_the_first()
    {
        string kernel = await Fixture.SharedKernelAsync();
        string session = "same-" + Guid.NewGuid();
        KernelSocket first = await ConnectAsync(kernel, session);
        KernelSocket second = await ConnectAsync(kernel, session);

        Assert.True(await first.WaitForCloseAsync(TestTimeouts.Reply), "the stale socket with the same session_id is still open");
        Assert.Equal("ok", (await second.ExecuteAsync("1+1")).Status);
        Assert.Equal(WebSocketState.Open, second.State);
    }

    [Fact]
    public async Task Output_produced_while_disconnected_is_replayed_in_order_on_reconnect_with_the_same_session_id()
    {
        string kernel = await StartKernelAsync();
        string session = "replay-" + Guid.NewGuid();
        KernelSocket first = await ConnectAsync(kernel, session);

        // The cell prints only after a pause long enough for the disconnect to be registered (checked below).
        var request = JupyterMessages.ExecuteRequest(session, "import time\ntime.sleep(6)\nprint('while away 1')\nprint('while away 2', flush=True)\n6*7");
        string id = JupyterMessages.MsgId(request);
        await first.SendAsync(request);
        await first.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "execute_input", TestTimeouts.Reply, "execute_input");
        await first.CloseAsync();
        await GatewayRest.EventuallyAsync(async () =>
        {
            RestResponse model = await GatewayRest.GetAsync(Gateway, $"api/kernels/{kernel}");
            return (KernelModel.Connections(model.Json) == 0, model.ToString());
        }, TimeSpan.FromSeconds(4), "connections back to 0 before the cell prints");
        Assert.DoesNotContain(first.Frames, f => f.ParentMsgId == id && f.MsgType == "stream");

        // The kernel goes idle while nobody is connected.
        await GatewayRest.EventuallyAsync(async () =>
        {
            RestResponse model = await GatewayRest.GetAsync(Gateway, $"api/kernels/{kernel}");
            return (model.Json?["execution_state"]?.GetValue<string>() == "idle", model.ToString());
        }, TestTimeouts.Step, "kernel idle after the cell");

        KernelSocket again = await ConnectAsync(kernel, session, ready: false);
        await again.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "execute_reply", TestTimeouts.Reply, "replayed execute_reply");
        await again.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "status" && f.ContentText("execution_state") == "idle", TestTimeouts.Reply, "replayed idle");
        string[] replayed = again.Frames.Where(f => f.ParentMsgId == id && f.Channel == "iopub" && f.MsgType is "stream" or "execute_result")
            .Select(f => f.MsgType == "stream" ? f.ContentText("text")! : f.Content!["data"]!["text/plain"]!.GetValue<string>()).ToArray();
        Assert.Equal("while away 1\nwhile away 2\n42", string.Concat(replayed)); // arrival order: both lines, then the result
    }

    [Fact]
    public async Task A_dying_kernel_is_reported_as_restarting_or_dead_on_iopub_and_the_cell_gets_an_error_reply()
    {
        string kernel = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(kernel);
        var request = JupyterMessages.ExecuteRequest(socket.SessionId, "import os\nos._exit(1)");
        await socket.SendAsync(request);
        ReceivedFrame status = await socket.WaitForAsync(
            f => f.Channel == "iopub" && f.MsgType == "status" && f.ContentText("execution_state") is "restarting" or "dead",
            TestTimeouts.KernelStart, "status restarting or dead after the kernel process exited");
        Output.WriteLine($"reported: {status}");

        // The kernel never answers the cell that killed it: the gateway does, so a client waiting for the reply stops waiting.
        string msgId = JupyterMessages.MsgId(request);
        ReceivedFrame reply = await socket.WaitForAsync(f => f.Channel == "shell" && f.MsgType == "execute_reply" && f.ParentMsgId == msgId,
            TestTimeouts.Reply, "the execute_reply of the cell that ended the kernel");
        Assert.Equal("error", reply.ContentText("status"));
        Assert.Equal(status.ContentText("execution_state") == "dead" ? "KernelDied" : "KernelRestarted", reply.ContentText("ename"));
        Assert.Contains("before this cell finished", reply.ContentText("evalue"), StringComparison.Ordinal);
        List<ReceivedFrame> frames = [.. socket.Frames];
        Assert.True(frames.IndexOf(status) < frames.IndexOf(reply), "the reply came before the status that says why");
    }

    [Fact]
    public async Task Deleting_a_kernel_closes_its_sockets_within_a_bounded_time()
    {
        string kernel = await StartKernelAsync();
        KernelSocket first = await ConnectAsync(kernel);
        KernelSocket second = await ConnectAsync(kernel);
        GatewayRest.ExpectStatus(await GatewayRest.DeleteAsync(Gateway, $"api/kernels/{kernel}"), HttpStatusCode.NoContent, Gateway);
        Assert.True(await first.WaitForCloseAsync(TestTimeouts.Reply), "first socket still open after DELETE");
        Assert.True(await second.WaitForCloseAsync(TestTimeouts.Reply), "second socket still open after DELETE");
    }

    [Fact]
    public async Task The_connections_count_follows_the_open_sockets()
    {
        string kernel = await StartKernelAsync();
        await ExpectConnectionsAsync(kernel, 0);
        KernelSocket first = await ConnectAsync(kernel);
        await ExpectConnectionsAsync(kernel, 1);
        KernelSocket second = await ConnectAsync(kernel);
        await ExpectConnectionsAsync(kernel, 2);
        await first.CloseAsync();
        await ExpectConnectionsAsync(kernel, 1);
        second.Abort(); // no close handshake: the gateway must notice the dropped connection too
        await ExpectConnectionsAsync(kernel, 0);
    }

    private Task ExpectConnectionsAsync(string kernel, int expected) =>
        GatewayRest.EventuallyAsync(async () =>
        {
            RestResponse model = await GatewayRest.GetAsync(Gateway, $"api/kernels/{kernel}");
            return (KernelModel.Connections(model.Json) == expected, model.ToString());
        }, TestTimeouts.Reply, $"connections == {expected}");
}
