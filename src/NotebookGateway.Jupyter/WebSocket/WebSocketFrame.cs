using System.Net.WebSockets;

namespace NotebookGateway.Jupyter.WebSocket;

/// <summary>One complete websocket message (all fragments joined): text (UTF-8) or binary.</summary>
public readonly record struct WebSocketFrame(bool IsText, ReadOnlyMemory<byte> Payload)
{
    public WebSocketMessageType MessageType => IsText ? WebSocketMessageType.Text : WebSocketMessageType.Binary;

    public static WebSocketFrame Text(ReadOnlyMemory<byte> utf8) => new(true, utf8);

    public static WebSocketFrame Binary(ReadOnlyMemory<byte> payload) => new(false, payload);
}
