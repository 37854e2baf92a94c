using System.Net.WebSockets;
using System.Threading.Channels;
using NotebookGateway.Bridge.Gateway;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Bridge.Kernel;

// Gateway → tool: what the gateway sends, routed to the socket that asked; reconnecting; local answers.
public sealed partial class BridgeKernel
{
    // ---- gateway → tool ----

    private async Task ReceiveFromGatewayAsync(GatewaySocket socket)
    {
        await Task.Yield();
        try
        {
            while (await socket.ReceiveAsync(_stopping.Token).ConfigureAwait(false) is { } received)
            {
                if (received.Message is null)
                {
                    Log.GatewayMessageDropped(_logger, received.Dropped ?? "unreadable");
                    continue;
                }
                Dispatch(received.Message, received.Channel);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            Log.ConnectionLost(_logger, ex.Message);
        }
        await ReconnectAsync(socket).ConfigureAwait(false);
    }

    private void Dispatch(JupyterMessage message, MessageChannel channel)
    {
        switch (channel)
        {
            case MessageChannel.IOPub:
                _tool.Relay(MessageChannel.IOPub, message, []);
                if (message.MsgType == MessageTypes.Status && message.ParentHeader is null
                    && message.GetContentString("execution_state") == ExecutionStates.Dead)
                {
                    Lose("The sandboxed kernel died on the gateway (restart the kernel to go on; its workspace files are kept).");
                }
                break;
            case MessageChannel.Shell or MessageChannel.Control:
                if (_routes.Take(message.ParentMsgId) is { } route)
                {
                    _tool.Relay(route.Channel, message, route.Request.Identities);
                }
                else
                {
                    Log.Unrouted(_logger, message.MsgType, message.ParentMsgId);
                }
                break;
            case MessageChannel.Stdin:
                // The requester's stdin socket has the routing id of its shell socket (jupyter_client's convention).
                if (_routes.Find(message.ParentMsgId) is { } requester)
                {
                    _tool.Relay(MessageChannel.Stdin, message, requester.Request.Identities);
                }
                else
                {
                    Log.Unrouted(_logger, message.MsgType, message.ParentMsgId);
                }
                break;
        }
    }

    /// <summary>
    /// The websocket dropped while the kernel was running: reconnect with the same session id (the gateway replays what
    /// it buffered meanwhile) for as long as the lease keeps the kernel; the gateway saying the kernel is gone, or the
    /// lease running out, loses it.
    /// </summary>
    private async Task ReconnectAsync(GatewaySocket broken)
    {
        lock (_stateLock)
        {
            if (_state != BridgeState.Running || !ReferenceEquals(_socket, broken))
            {
                return; // stopping, or already replaced
            }
            _state = BridgeState.Reconnecting;
        }
        TakeSocket();
        await broken.DisposeAsync().ConfigureAwait(false);
        string kernelId = KernelId!;
        DateTimeOffset deadline = _time.GetUtcNow() + _options.Lease;
        TimeSpan delay = TimeSpan.FromMilliseconds(50);
        int attempts = 0;
        while (!_stopping.IsCancellationRequested && State == BridgeState.Reconnecting)
        {
            attempts++;
            try
            {
                GatewaySocket socket = await OpenSocketAsync(kernelId, _stopping.Token).ConfigureAwait(false);
                if (Attach(socket, BridgeState.Reconnecting))
                {
                    Log.Reconnected(_logger, kernelId, attempts);
                }
                else
                {
                    await socket.DisposeAsync().ConfigureAwait(false);
                }
                return;
            }
            catch (GatewayException ex) when (ex.Failure is GatewayFailure.NotFound)
            {
                Lose("The gateway no longer has this kernel (it was shut down or culled there).");
                return;
            }
            catch (GatewayException ex) when (ex.Failure is GatewayFailure.BadToken or GatewayFailure.Refused)
            {
                Lose(ex.Message);
                return;
            }
            catch (GatewayException ex)
            {
                Log.ReconnectFailed(_logger, attempts, ex.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_time.GetUtcNow() >= deadline)
            {
                Lose($"Lost the connection to the gateway at {_gateway.BaseUrl} for {_options.LeaseSeconds} s; the kernel is gone with its lease.");
                return;
            }
            try
            {
                // Back-off between attempts (bounded by the lease deadline above).
                await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
    }

    // ---- local sends ----

    private async Task AnswerLocallyAsync(JupyterMessage request, MessageChannel channel, string problem)
    {
        LocalAnswer answer = _local.Answer(request, problem);
        foreach (JupyterMessage iopub in answer.IOPub.Take(answer.IOPub.Count - 1))
        {
            await _tool.PublishAsync(iopub).ConfigureAwait(false);
        }
        if (answer.Reply is not null)
        {
            await _tool.SendReplyAsync(channel, answer.Reply).ConfigureAwait(false);
        }
        if (answer.IOPub.Count > 0)
        {
            await _tool.PublishAsync(answer.IOPub[^1]).ConfigureAwait(false); // idle after the reply, as ipykernel does
        }
    }

    private readonly record struct Outgoing(JupyterMessage Message, MessageChannel Channel);
}
