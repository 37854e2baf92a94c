using System.Net.WebSockets;
using System.Threading.Channels;
using NotebookGateway.Bridge.Gateway;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Bridge.Kernel;

// Tool → gateway: what the tool sends, handled here or relayed over the websocket (in order, through the outbox while not connected).
public sealed partial class BridgeKernel
{
    // ---- tool → gateway ----

    private async Task HandleFromToolAsync(JupyterMessage message, MessageChannel channel)
    {
        switch (message.MsgType)
        {
            case MessageTypes.ShutdownRequest when channel is MessageChannel.Control or MessageChannel.Shell:
                bool restart = message.ReadContent(Jupyter.Messages.JupyterMessageJsonContext.Default.ShutdownRequest)?.Restart ?? false;
                await ShutdownAsync(message, channel, restart).ConfigureAwait(false);
                return;
            case MessageTypes.InterruptRequest when channel == MessageChannel.Control:
                _ = InterruptRemoteAsync(message);
                return;
        }
        string? problem;
        lock (_stateLock)
        {
            problem = _state is BridgeState.Failed or BridgeState.Dead or BridgeState.Stopping ? _problem ?? "the kernel is shutting down" : null;
        }
        if (problem is not null)
        {
            await AnswerLocallyAsync(message, channel, problem).ConfigureAwait(false);
            return;
        }
        bool expectsReply = channel is MessageChannel.Shell or MessageChannel.Control && message.MsgType.EndsWith("_request", StringComparison.Ordinal);
        if (expectsReply)
        {
            _routes.Add(message.MsgId, new Route(message, channel));
        }
        if (await TrySendDirectlyAsync(new Outgoing(message, channel)).ConfigureAwait(false))
        {
            return;
        }
        if (!_outbox.Writer.TryWrite(new Outgoing(message, channel)))
        {
            if (expectsReply && _routes.Take(message.MsgId) is not null)
            {
                await AnswerLocallyAsync(message, channel, $"More than {_options.OutboxMessages} messages are waiting for the gateway; this one was not sent.").ConfigureAwait(false);
            }
            Log.OutboxFull(_logger, message.MsgType);
        }
    }

    private async Task ShutdownAsync(JupyterMessage request, MessageChannel channel, bool restart)
    {
        JupyterMessage reply = _local.ShutdownReply(request, restart);
        await _tool.SendReplyAsync(channel, reply).ConfigureAwait(false);
        await _tool.PublishAsync(reply.WithIdentities([])).ConfigureAwait(false); // ipykernel also publishes it, for other clients
        // restart: the remote kernel stays (its lease keeps it for a while); the next bridge process, started with
        // the same connection file, restarts it. Otherwise it is deleted now.
        await StopAsync(restart ? "shutdown_request (restart)" : "shutdown_request", deleteRemote: !restart, exitCode: 0).ConfigureAwait(false);
    }

    /// <summary>
    /// The common case without a queue hop: connected and nothing waiting in the outbox, the message goes straight to
    /// the websocket. False when it must wait in the outbox (starting, reconnecting, or older messages queued).
    /// </summary>
    private async Task<bool> TrySendDirectlyAsync(Outgoing outgoing)
    {
        if (!IsConnectedWithEmptyOutbox(out _))
        {
            return false;
        }
        await _sendLock.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            if (!IsConnectedWithEmptyOutbox(out GatewaySocket? socket))
            {
                return false;
            }
            await SendOrAnswerAsync(socket!, outgoing).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private bool IsConnectedWithEmptyOutbox(out GatewaySocket? socket)
    {
        lock (_stateLock)
        {
            socket = _state == BridgeState.Running && _outbox.Reader.Count == 0 ? _socket : null;
            return socket is not null;
        }
    }

    /// <summary>Drains the outbox in order once there is a connection (or answers it locally when there will be none).</summary>
    private async Task SendToGatewayAsync()
    {
        await Task.Yield();
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                GatewaySocket? socket = await CurrentSocketAsync().ConfigureAwait(false);
                if (socket is null)
                {
                    string problem = _problem ?? "the kernel is shutting down";
                    while (_outbox.Reader.TryRead(out Outgoing queued))
                    {
                        if (_routes.Take(queued.Message.MsgId) is not null || queued.Channel == MessageChannel.Stdin)
                        {
                            await AnswerLocallyAsync(queued.Message, queued.Channel, problem).ConfigureAwait(false);
                        }
                    }
                    continue;
                }
                await _sendLock.WaitAsync(_stopping.Token).ConfigureAwait(false);
                try
                {
                    // Peek, send, then take: a direct send sees the outbox non-empty until the message has gone.
                    while (_outbox.Reader.TryPeek(out Outgoing outgoing))
                    {
                        bool sent = await SendOrAnswerAsync(socket, outgoing).ConfigureAwait(false);
                        _outbox.Reader.TryRead(out _);
                        if (!sent)
                        {
                            break; // the connection is gone: wait for the next one
                        }
                    }
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends one message; when the websocket fails, a request gets a local answer (at most once: never resent).</summary>
    private async Task<bool> SendOrAnswerAsync(GatewaySocket socket, Outgoing outgoing)
    {
        try
        {
            await socket.SendAsync(outgoing.Message, outgoing.Channel, _stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            // The gateway may or may not have it, and running a cell twice is worse than saying so.
            Log.SendFailed(_logger, outgoing.Message.MsgType, ex.Message);
            if (_routes.Take(outgoing.Message.MsgId) is not null)
            {
                await AnswerLocallyAsync(outgoing.Message, outgoing.Channel,
                    "The connection to the gateway dropped while this request was being sent; it may not have reached the kernel. Run it again.").ConfigureAwait(false);
            }
            return false;
        }
    }

    /// <summary>The connected socket, waiting while the kernel starts or the connection is re-established; null when there will be none.</summary>
    private Task<GatewaySocket?> CurrentSocketAsync()
    {
        lock (_stateLock)
        {
            return _state switch
            {
                BridgeState.Running when _socket is not null => Task.FromResult<GatewaySocket?>(_socket),
                BridgeState.Starting or BridgeState.Reconnecting or BridgeState.Running => _socketReady.Task.WaitAsync(_stopping.Token),
                _ => Task.FromResult<GatewaySocket?>(null),
            };
        }
    }
}
