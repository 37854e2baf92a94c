using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.WebSockets;

/// <summary>
/// One <c>/api/kernels/{id}/channels</c> websocket attached to a client session: drains the session's outbox
/// to the socket and relays what the client sends. Malformed frames are dropped (the socket stays open);
/// a message larger than the limit closes it with 1009.
/// </summary>
public sealed partial class WebSocketChannelConnection(
    WebSocket socket,
    WebSocketProtocol protocol,
    KernelChannels channels,
    WebSocketMessageCodec codec,
    int maxMessageBytes,
    ILogger logger) : IClientConnection, IDisposable
{
    private readonly CancellationTokenSource _closing = new();
    private byte[] _buffer = [];
    private string? _closeReason;

    public async Task RunAsync(ClientSession session, CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, _closing.Token);
        Task sending = SendLoopAsync(session, linked.Token);
        try
        {
            await ReceiveLoopAsync(session, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
            }
            channels.Detach(session, this);
            await CloseSocketAsync(WebSocketCloseStatus.NormalClosure, _closeReason ?? "").ConfigureAwait(false);
        }
    }

    public void Dispose() => _closing.Dispose();

    public async Task CloseAsync(string reason)
    {
        _closeReason = reason;
        try
        {
            await _closing.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    private async Task SendLoopAsync(ClientSession session, CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (await session.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (!cancellationToken.IsCancellationRequested && session.TryRead(out ChannelMessage? message))
            {
                WebSocketFrame frame = message.Encode(protocol); // encoded once for every socket of this protocol
                await socket.SendAsync(frame.Payload, frame.MessageType, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ReceiveLoopAsync(ClientSession session, CancellationToken cancellationToken)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                (int length, WebSocketMessageType type, bool tooBig) = await ReceiveMessageAsync(cancellationToken).ConfigureAwait(false);
                if (type == WebSocketMessageType.Close)
                {
                    return;
                }
                if (tooBig)
                {
                    Log.MessageTooBig(logger, channels.KernelId, maxMessageBytes);
                    await CloseSocketAsync(WebSocketCloseStatus.MessageTooBig, $"messages are limited to {maxMessageBytes} bytes").ConfigureAwait(false);
                    return;
                }
                // The decoded message keeps slices of the bytes, so it gets its own copy.
                byte[] payload = _buffer.AsSpan(0, length).ToArray();
                WebSocketDecodeResult decoded = codec.Decode(new WebSocketFrame(type == WebSocketMessageType.Text, payload), protocol);
                if (!decoded.Success)
                {
                    Log.FrameDropped(logger, channels.KernelId, decoded.Error);
                    continue;
                }
                if (decoded.Channel is MessageChannel.IOPub or MessageChannel.Heartbeat)
                {
                    Log.FrameDropped(logger, channels.KernelId, WebSocketDecodeError.UnknownChannel);
                    continue;
                }
                await channels.SendFromClientAsync(session, decoded.Message!, decoded.Channel, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Reads one whole message, growing the buffer up to the limit; beyond it the rest is discarded.</summary>
    private async ValueTask<(int Length, WebSocketMessageType Type, bool TooBig)> ReceiveMessageAsync(CancellationToken cancellationToken)
    {
        byte[] buffer = _buffer;
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length >= maxMessageBytes)
                {
                    return (0, WebSocketMessageType.Binary, true);
                }
                byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxMessageBytes, buffer.Length * 2));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
                _buffer = larger;
            }
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxMessageBytes) - length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (0, WebSocketMessageType.Close, false);
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                return (length, result.MessageType, false);
            }
        }
    }

    private async Task CloseSocketAsync(WebSocketCloseStatus status, string reason)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await socket.CloseOutputAsync(status, reason.Length > 120 ? reason[..120] : reason, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                socket.Abort();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3201, Level = LogLevel.Debug, Message = "Kernel `{KernelId}`: dropped a client frame: {Error}")]
        public static partial void FrameDropped(ILogger logger, string kernelId, WebSocketDecodeError error);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Kernel `{KernelId}`: closed a websocket whose message exceeded {Limit} bytes")]
        public static partial void MessageTooBig(ILogger logger, string kernelId, int limit);
    }
}
