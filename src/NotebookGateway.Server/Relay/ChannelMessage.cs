using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// A message on its way to clients, with the channel it travels on. A broadcast puts the same instance in every client
/// session, and every transport sends one of the Jupyter websocket encodings: each encoding is made once, by the first
/// connection that needs it, and shared by the rest (frames are immutable).
/// </summary>
public sealed class ChannelMessage(JupyterMessage message, MessageChannel channel)
{
    private WebSocketFrameBox? _json;
    private WebSocketFrameBox? _binary;
    private string? _jsonText;

    public JupyterMessage Message { get; } = message;

    public MessageChannel Channel { get; } = channel;

    /// <summary>The message's size for the outbox's byte bound: its JSON parts and buffers.</summary>
    public long Bytes { get; } = SizeOf(message);

    /// <summary>The websocket frame in <paramref name="protocol"/>, encoded on first use.</summary>
    public WebSocketFrame Encode(WebSocketProtocol protocol)
    {
        ref WebSocketFrameBox? slot = ref protocol == WebSocketProtocol.Json ? ref _json : ref _binary;
        WebSocketFrameBox? box = Volatile.Read(ref slot);
        if (box is null)
        {
            // Two connections may race here; both encodings are equal, and either one is kept.
            box = new WebSocketFrameBox(WebSocketMessageCodec.Encode(Message, Channel, protocol));
            box = Interlocked.CompareExchange(ref slot, box, null) ?? box;
        }
        return box.Frame;
    }

    /// <summary>The JSON encoding as text (what the SignalR hub streams), made on first use.</summary>
    public string EncodeJsonText()
    {
        string? text = Volatile.Read(ref _jsonText);
        if (text is null)
        {
            text = Encoding.UTF8.GetString(Encode(WebSocketProtocol.Json).Payload.Span);
            text = Interlocked.CompareExchange(ref _jsonText, text, null) ?? text;
        }
        return text;
    }

    /// <summary>A frame behind a reference, so that it is published whole to other threads.</summary>
    private sealed record WebSocketFrameBox(WebSocketFrame Frame);

    private static long SizeOf(JupyterMessage message)
    {
        long bytes = message.HeaderJson.Length + message.ParentHeaderJson.Length + message.MetadataJson.Length + message.ContentJson.Length;
        for (int i = 0; i < message.Buffers.Count; i++)
        {
            bytes += message.Buffers[i].Length; // no enumerator: this runs for every relayed message
        }
        return bytes;
    }
}
