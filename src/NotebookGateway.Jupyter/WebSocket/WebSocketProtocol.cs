namespace NotebookGateway.Jupyter.WebSocket;

/// <summary>The framing a kernel websocket speaks, chosen once at the handshake.</summary>
public enum WebSocketProtocol
{
    /// <summary>
    /// The default ("legacy") protocol: JSON text frames, and binary frames with big-endian uint32 offsets for
    /// messages that carry buffers. Selected when the client offers no subprotocol we know.
    /// </summary>
    Json,

    /// <summary><c>v1.kernel.websocket.jupyter.org</c>: binary frames only, uint64 little-endian offsets.</summary>
    V1,
}

/// <summary>Subprotocol names and the handshake's choice.</summary>
public static class WebSocketProtocols
{
    /// <summary>The <c>Sec-WebSocket-Protocol</c> token of <see cref="WebSocketProtocol.V1"/>.</summary>
    public const string V1Name = "v1.kernel.websocket.jupyter.org";

    /// <summary>
    /// V1 when the client offers it, otherwise Json; unknown tokens are ignored. Tokens are compared ordinally
    /// (RFC 6455 tokens are case-sensitive); an entry holding a comma-separated list is split.
    /// </summary>
    public static WebSocketProtocol Select(IEnumerable<string> offered)
    {
        ArgumentNullException.ThrowIfNull(offered);
        foreach (string entry in offered)
        {
            if (entry is null)
            {
                continue;
            }
            foreach (Range range in entry.AsSpan().Split(','))
            {
                if (entry.AsSpan()[range].Trim().SequenceEqual(V1Name))
                {
                    return WebSocketProtocol.V1;
                }
            }
        }
        return WebSocketProtocol.Json;
    }

    /// <summary>The token to echo in <c>Sec-WebSocket-Protocol</c>; null (no header) for the default protocol.</summary>
    public static string? GetSubprotocolName(WebSocketProtocol protocol) =>
        protocol == WebSocketProtocol.V1 ? V1Name : null;
}
