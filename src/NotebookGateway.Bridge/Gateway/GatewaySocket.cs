using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;

namespace NotebookGateway.Bridge.Gateway;

/// <summary>One received message, or why a frame was dropped.</summary>
public readonly record struct ReceivedMessage(JupyterMessage? Message, MessageChannel Channel, string? Dropped);

/// <summary>
/// One channels websocket to the gateway (<c>/api/kernels/{id}/channels</c>), offering the v1 binary subprotocol and
/// falling back to JSON when the server does not pick it. One sender at a time (the caller's loop), one receiver.
/// Frames are read into a buffer that grows up to the message limit; a larger frame is read to its end and dropped,
/// so nothing the kernel sends can make the bridge allocate without bound.
/// </summary>
public sealed class GatewaySocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly WebSocketMessageCodec _codec;
    private readonly long _maxMessageBytes;
    private byte[] _buffer = [];

    private GatewaySocket(ClientWebSocket socket, WebSocketMessageCodec codec, long maxMessageBytes)
    {
        _socket = socket;
        _codec = codec;
        _maxMessageBytes = maxMessageBytes;
        Protocol = socket.SubProtocol == WebSocketProtocols.V1Name ? WebSocketProtocol.V1 : WebSocketProtocol.Json;
    }

    public WebSocketProtocol Protocol { get; }

    public WebSocketState State => _socket.State;

    /// <summary>Connects; a refused upgrade becomes a <see cref="GatewayException"/> with the HTTP status (404: the kernel is gone).</summary>
    public static async Task<GatewaySocket> ConnectAsync(Uri url, string? token, long maxMessageBytes, TimeSpan timeout, TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(WebSocketProtocols.V1Name);
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = keepAlive;
        socket.Options.KeepAliveTimeout = keepAlive * 2;
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "token " + token);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(url, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            HttpStatusCode status = socket.HttpStatusCode;
            socket.Dispose();
            if (status is 0 or HttpStatusCode.SwitchingProtocols)
            {
                throw new GatewayException(GatewayFailure.Unreachable, null, $"Cannot open the kernel's channels at {url.GetLeftPart(UriPartial.Path)}: {ex.Message}", ex);
            }
            throw new GatewayException(GatewayException.Classify(status), status,
                $"The gateway refused the kernel's channels at {url.GetLeftPart(UriPartial.Path)} ({(int)status} {status}).", ex);
        }
        var codec = new WebSocketMessageCodec(new WebSocketCodecOptions { MaxFrameBytes = maxMessageBytes, MaxBuffers = 64 });
        return new GatewaySocket(socket, codec, maxMessageBytes);
    }

    public async ValueTask SendAsync(JupyterMessage message, MessageChannel channel, CancellationToken cancellationToken)
    {
        WebSocketFrame frame = WebSocketMessageCodec.Encode(message, channel, Protocol);
        await _socket.SendAsync(frame.Payload, frame.MessageType, endOfMessage: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next message, a dropped frame's reason, or null once the socket is closed (by either side).</summary>
    public async ValueTask<ReceivedMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        }
        int length = 0;
        bool oversize = false;
        while (true)
        {
            if (length == _buffer.Length)
            {
                if (_buffer.Length >= _maxMessageBytes)
                {
                    oversize = true;
                    length = 0; // keep reading to the end of the frame, into the same buffer
                }
                else
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_maxMessageBytes, (long)_buffer.Length * 2));
                    _buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = larger;
                }
            }
            int room = (int)Math.Min(_buffer.Length, _maxMessageBytes) - length;
            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(_buffer.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            length += result.Count;
            if (!result.EndOfMessage)
            {
                continue;
            }
            if (oversize)
            {
                return new ReceivedMessage(null, default, $"a message over the {_maxMessageBytes}-byte limit");
            }
            // The decoded message slices its bytes: it gets its own copy, the buffer is reused.
            var frame = new WebSocketFrame(result.MessageType == WebSocketMessageType.Text, _buffer.AsSpan(0, length).ToArray());
            WebSocketDecodeResult decoded = _codec.Decode(frame, Protocol);
            return decoded.Success
                ? new ReceivedMessage(decoded.Message, decoded.Channel, null)
                : new ReceivedMessage(null, default, decoded.Error.ToString());
        }
    }

    /// <summary>Closes politely within <paramref name="timeout"/>, otherwise aborts.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                _socket.Abort();
            }
        }
    }

    /// <summary>Drops the connection at once (tests of reconnection use the gateway side; this is for shutdown).</summary>
    public void Abort() => _socket.Abort();

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
        return ValueTask.CompletedTask;
    }
}
