using NotebookGateway.Jupyter.WebSocket;

namespace NotebookGateway.Jupyter.Tests.WebSocket;

public sealed class WebSocketProtocolsTests
{
    [Fact]
    public void Select_V1Offered_ReturnsV1()
    {
        Assert.Equal(WebSocketProtocol.V1, WebSocketProtocols.Select(["foo", "v1.kernel.websocket.jupyter.org"]));
    }

    [Fact]
    public void Select_CommaSeparatedHeaderValue_FindsV1()
    {
        Assert.Equal(WebSocketProtocol.V1, WebSocketProtocols.Select(["chat, v1.kernel.websocket.jupyter.org"]));
    }

    [Theory]
    [InlineData()]
    [InlineData("chat")]
    [InlineData("V1.KERNEL.WEBSOCKET.JUPYTER.ORG", "v2.kernel.websocket.jupyter.org", "")]
    public void Select_V1NotOffered_ReturnsJson(params string[] offered)
    {
        Assert.Equal(WebSocketProtocol.Json, WebSocketProtocols.Select(offered));
    }

    [Fact]
    public void GetSubprotocolName_EachProtocol_EchoesOnlyV1()
    {
        Assert.Equal("v1.kernel.websocket.jupyter.org", WebSocketProtocols.GetSubprotocolName(WebSocketProtocol.V1));
        Assert.Null(WebSocketProtocols.GetSubprotocolName(WebSocketProtocol.Json));
        Assert.Equal(WebSocketProtocols.V1Name, WebSocketProtocols.GetSubprotocolName(WebSocketProtocol.V1));
    }
}
