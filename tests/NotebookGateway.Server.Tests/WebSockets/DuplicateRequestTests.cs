using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.WebSockets;

/// <summary>A misbehaving client must not break its own connection (or anyone else's).</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class DuplicateRequestTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task SameMsgIdSentTwice_OneReplyAndTheSocketKeepsWorking()
    {
        KernelSocket socket = await ConnectAsync(await Fixture.SharedKernelAsync());
        var request = JupyterMessages.ExecuteRequest(socket.SessionId, "import time; time.sleep(0.5); 'slow'", allowStdin: false);
        string id = JupyterMessages.MsgId(request);

        await socket.SendAsync(request);
        await socket.SendAsync((System.Text.Json.Nodes.JsonObject)request.DeepClone());
        await socket.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "execute_reply", TestTimeouts.Step, "the reply to the first request");

        ExecuteResult next = await socket.ExecuteAsync("6*7");
        Assert.Equal("42", next.ResultText);
    }
}
