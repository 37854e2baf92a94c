using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// The client's connection to one kernel: shell, control and stdin as DEALERs (stdin shares shell's routing id, as the
/// spec requires), iopub as SUB, and the heartbeat REQ (relaxed) when enabled. Each channel has its own codec; every
/// received message is verified, and good ones go to <c>onMessage</c> on that channel's pump task.
/// </summary>
internal sealed partial class KernelSockets : IAsyncDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly KernelClientOptions _options;
    private readonly ILogger _logger;
    private readonly Action<MessageChannel, JupyterMessage> _onMessage;
    private readonly Action<DroppedMessage> _onDropped;
    private readonly CancellationToken _stopping;
    private readonly Channel _shell;
    private readonly Channel _control;
    private readonly Channel _stdin;
    private readonly Channel _iopub;
    private Task[] _pumps = [];

    public KernelSockets(
        ConnectionInfo connection,
        ZmqReactor reactor,
        KernelClientOptions options,
        ILogger logger,
        Action<MessageChannel, JupyterMessage> onMessage,
        Action<DroppedMessage> onDropped,
        CancellationToken stopping)
    {
        _connection = connection;
        _options = options;
        _logger = logger;
        _onMessage = onMessage;
        _onDropped = onDropped;
        _stopping = stopping;
        MessageSigner signer = connection.CreateSigner();
        byte[] identity = System.Text.Encoding.ASCII.GetBytes(options.Session);
        var common = new ZmqSocketOptions
        {
            // libzmq drops the connection for a message above its cap without telling anyone, so its cap is
            // twice ours: a message between the two reaches the codec, is refused and reported (MessageDropped).
            MaxMessageSize = options.Limits.MaxMessageBytes * 2,
            ReceiveQueueCapacity = options.ReceiveQueueCapacity,
            ReconnectInterval = TimeSpan.FromMilliseconds(100),
        };
        _shell = new Channel(MessageChannel.Shell, reactor.CreateSocket(ZmqSocketType.Dealer, common with { RoutingId = identity }), new ZmqWireCodec(signer, options.Limits));
        _stdin = new Channel(MessageChannel.Stdin, reactor.CreateSocket(ZmqSocketType.Dealer, common with { RoutingId = identity }), new ZmqWireCodec(signer, options.Limits));
        _control = new Channel(MessageChannel.Control, reactor.CreateSocket(ZmqSocketType.Dealer, common), new ZmqWireCodec(signer, options.Limits));
        _iopub = new Channel(MessageChannel.IOPub, reactor.CreateSocket(ZmqSocketType.Sub, common with { Subscriptions = [ReadOnlyMemory<byte>.Empty] }), new ZmqWireCodec(signer, options.Limits));
        if (options.EnableHeartbeat)
        {
            Heartbeat = reactor.CreateSocket(ZmqSocketType.Req, new ZmqSocketOptions { RequestRelaxed = true, ReconnectInterval = TimeSpan.FromMilliseconds(100) });
        }
    }

    /// <summary>The heartbeat socket (connected by <see cref="ConnectAsync"/>), or null when disabled.</summary>
    public ZmqSocket? Heartbeat { get; }

    /// <summary>Completes when every channel's first handshake with the kernel has succeeded.</summary>
    public Task Handshakes { get; private set; } = Task.CompletedTask;

    /// <summary>Messages from the kernel refused by signature or format checks.</summary>
    public long RejectedMessages =>
        _shell.Codec.RejectedCount + _control.Codec.RejectedCount + _stdin.Codec.RejectedCount + _iopub.Codec.RejectedCount;

    /// <summary>Connects every socket and starts the receive pumps.</summary>
    public async Task ConnectAsync()
    {
        string Endpoint(MessageChannel channel) => _options.EndpointResolver?.Invoke(channel) ?? _connection.EndpointOf(channel);
        Channel[] channels = [_shell, _control, _stdin, _iopub];
        // A kernel drops what it sends to a socket whose handshake has not finished (an input_request
        // to a stdin socket still reconnecting is lost, and the kernel waits in input() forever), so
        // readiness includes every channel's handshake.
        var handshakes = new List<Task>();
        foreach (Channel channel in channels)
        {
            handshakes.Add(await WatchHandshakeAsync(channel.Socket).ConfigureAwait(false));
        }
        Handshakes = Task.WhenAll(handshakes);
        foreach (Channel channel in channels)
        {
            await channel.Socket.ConnectAsync(Endpoint(channel.Name)).ConfigureAwait(false);
        }
        _pumps = [.. channels.Select(PumpAsync)];
        if (Heartbeat is not null)
        {
            await Heartbeat.ConnectAsync(Endpoint(MessageChannel.Heartbeat)).ConfigureAwait(false);
        }
    }

    /// <summary>Encodes, signs and sends a message on shell, control or stdin.</summary>
    public Task SendAsync(JupyterMessage message, MessageChannel channel, CancellationToken cancellationToken)
    {
        Channel target = channel switch
        {
            MessageChannel.Shell => _shell,
            MessageChannel.Control => _control,
            MessageChannel.Stdin => _stdin,
            _ => throw new ArgumentException($"Clients cannot send on {channel}.", nameof(channel)),
        };
        // A DEALER adds our routing id itself: identities from a relayed message must not travel.
        JupyterMessage outgoing = message.Identities.Count == 0 ? message : message.WithIdentities([]);
        return target.Socket.SendAsync(target.Codec.Encode(outgoing), cancellationToken);
    }

    /// <summary>Closes every socket and waits for the pumps; the owner cancels its stopping token first.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ZmqSocket? socket in new[] { _shell.Socket, _control.Socket, _stdin.Socket, _iopub.Socket, Heartbeat })
        {
            if (socket is not null)
            {
                await socket.DisposeAsync().ConfigureAwait(false);
            }
        }
        try
        {
            await Task.WhenAll(_pumps).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            await Handshakes.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The kernel never connected before we gave up on it.
        }
    }

    /// <summary>Completes when the socket's first handshake with the kernel has succeeded; then stops monitoring.</summary>
    private async Task<Task> WatchHandshakeAsync(ZmqSocket socket)
    {
        ZmqSocket monitor = await socket.MonitorAsync(ZmqMonitorEvents.HandshakeSucceeded).ConfigureAwait(false);
        return WaitAsync();

        async Task WaitAsync()
        {
            try
            {
                while (true)
                {
                    ZmqMessage message = await monitor.ReceiveAsync(_stopping).ConfigureAwait(false);
                    if (ZmqMonitorEvent.TryParse(message, out ZmqMonitorEvent e) && e.Event == ZmqMonitorEvents.HandshakeSucceeded)
                    {
                        break;
                    }
                }
                await socket.StopMonitorAsync().ConfigureAwait(false);
            }
            finally
            {
                await monitor.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task PumpAsync(Channel channel)
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage frames in channel.Socket.ReceiveAllAsync(_stopping).ConfigureAwait(false))
            {
                DecodeResult result = channel.Codec.Decode(frames);
                if (!result.Success)
                {
                    Log.MessageRejected(_logger, channel.Name, result.Error, _connection.KernelName);
                    _onDropped(new DroppedMessage(channel.Name, result.Error, frames.TotalBytes, ZmqWireCodec.TryReadParentHeader(frames)));
                    continue;
                }
                try
                {
                    _onMessage(channel.Name, result.Message!);
                }
                catch (Exception ex)
                {
                    // A faulty observer must not stop the channel.
                    Log.DispatchFailed(_logger, channel.Name, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private sealed record Channel(MessageChannel Name, ZmqSocket Socket, ZmqWireCodec Codec);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Dropped a message from kernel `{KernelName}` on {Channel}: {Error}")]
        public static partial void MessageRejected(ILogger logger, MessageChannel channel, WireError error, string kernelName);

        [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Dispatching a {Channel} message failed")]
        public static partial void DispatchFailed(ILogger logger, MessageChannel channel, Exception exception);
    }
}
