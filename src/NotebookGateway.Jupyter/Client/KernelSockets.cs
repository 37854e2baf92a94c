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
internal sealed partial class KernelSockets(
    ConnectionInfo connection,
    ZmqReactor reactor,
    KernelClientOptions options,
    ILogger logger,
    Action<MessageChannel, JupyterMessage> onMessage,
    Action<DroppedMessage> onDropped,
    CancellationToken stopping) : IAsyncDisposable
{
    private readonly Channel[] _channels = CreateChannels(connection, reactor, options);
    private Task[] _pumps = [];

    /// <summary>The heartbeat socket (connected by <see cref="ConnectAsync"/>), or null when disabled.</summary>
    public ZmqSocket? Heartbeat { get; } = options.EnableHeartbeat
        ? reactor.CreateSocket(ZmqSocketType.Req, new ZmqSocketOptions { RequestRelaxed = true, ReconnectInterval = TimeSpan.FromMilliseconds(100) })
        : null;

    /// <summary>Completes when every channel's first handshake with the kernel has succeeded.</summary>
    public Task Handshakes { get; private set; } = Task.CompletedTask;

    /// <summary>Messages from the kernel refused by signature or format checks.</summary>
    public long RejectedMessages => _channels.Sum(c => c.Codec.RejectedCount);

    /// <summary>Connects every socket and starts the receive pumps.</summary>
    public async Task ConnectAsync()
    {
        string Endpoint(MessageChannel channel) => options.EndpointResolver?.Invoke(channel) ?? connection.EndpointOf(channel);
        Channel[] channels = [Find(MessageChannel.Shell), Find(MessageChannel.Control), Find(MessageChannel.Stdin), Find(MessageChannel.IOPub)];
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
        Channel target = channel is MessageChannel.Shell or MessageChannel.Control or MessageChannel.Stdin
            ? Find(channel)
            : throw new ArgumentException($"Clients cannot send on {channel}.", nameof(channel));
        // A DEALER adds our routing id itself: identities from a relayed message must not travel.
        JupyterMessage outgoing = message.Identities.Count == 0 ? message : message.WithIdentities([]);
        return target.Socket.SendAsync(target.Codec.Encode(outgoing), cancellationToken);
    }

    /// <summary>Closes every socket and waits for the pumps; the owner cancels its stopping token first.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ZmqSocket? socket in (ZmqSocket?[])[Find(MessageChannel.Shell).Socket, Find(MessageChannel.Control).Socket,
            Find(MessageChannel.Stdin).Socket, Find(MessageChannel.IOPub).Socket, Heartbeat])
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
                    ZmqMessage message = await monitor.ReceiveAsync(stopping).ConfigureAwait(false);
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
        ReadRate? rate = channel.Name == MessageChannel.IOPub && options.IOPubReadMessagesPerSecond > 0
            ? new ReadRate(options.IOPubReadMessagesPerSecond, options.TimeProvider)
            : null;
        try
        {
            await foreach (ZmqMessage frames in channel.Socket.ReceiveAllAsync(stopping).ConfigureAwait(false))
            {
                if (rate is not null && rate.Take() is { Ticks: > 0 } wait)
                {
                    await Task.Delay(wait, options.TimeProvider, stopping).ConfigureAwait(false); // the rest waits in libzmq
                    rate.Restart();
                }
                DecodeResult result = channel.Codec.Decode(frames);
                if (!result.Success)
                {
                    Log.MessageRejected(logger, channel.Name, result.Error, connection.KernelName);
                    onDropped(new DroppedMessage(channel.Name, result.Error, frames.TotalBytes, ZmqWireCodec.TryReadParentHeader(frames)));
                    continue;
                }
                try
                {
                    onMessage(channel.Name, result.Message!);
                }
                catch (Exception ex)
                {
                    // A faulty observer must not stop the channel.
                    Log.DispatchFailed(logger, channel.Name, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Shell, stdin, control and iopub, created in that order; each with a codec of its own.</summary>
    private static Channel[] CreateChannels(ConnectionInfo connection, ZmqReactor reactor, KernelClientOptions options)
    {
        MessageSigner signer = connection.CreateSigner();
        byte[] identity = System.Text.Encoding.ASCII.GetBytes(options.Session);
        var common = new ZmqSocketOptions
        {
            // libzmq drops the connection for a message above its cap without telling anyone, so its cap is
            // twice ours: a message between the two reaches the codec, is refused and reported (MessageDropped).
            MaxMessageSize = options.Limits.MaxMessageBytes * 2,
            ReceiveQueueCapacity = options.ReceiveQueueCapacity,
            ReceiveQueueBytes = options.ReceiveQueueBytes,
            ReconnectInterval = TimeSpan.FromMilliseconds(100),
        };
        Channel Create(MessageChannel name, ZmqSocketType type, ZmqSocketOptions socketOptions) =>
            new(name, reactor.CreateSocket(type, socketOptions), new ZmqWireCodec(signer, options.Limits));
        return
        [
            Create(MessageChannel.Shell, ZmqSocketType.Dealer, common with { RoutingId = identity }),
            Create(MessageChannel.Stdin, ZmqSocketType.Dealer, common with { RoutingId = identity }),
            Create(MessageChannel.Control, ZmqSocketType.Dealer, common),
            Create(MessageChannel.IOPub, ZmqSocketType.Sub, common with { Subscriptions = [ReadOnlyMemory<byte>.Empty] }),
        ];
    }

    /// <summary>Messages per second in one-second windows.</summary>
    private sealed class ReadRate(int perSecond, TimeProvider time)
    {
        private long _windowStart = time.GetTimestamp();
        private int _count;

        /// <summary>Counts one message: how long to wait before reading it (zero within the rate).</summary>
        public TimeSpan Take()
        {
            TimeSpan elapsed = time.GetElapsedTime(_windowStart);
            if (elapsed >= TimeSpan.FromSeconds(1))
            {
                _windowStart = time.GetTimestamp();
                _count = 0;
                elapsed = TimeSpan.Zero;
            }
            return ++_count <= perSecond ? TimeSpan.Zero : TimeSpan.FromSeconds(1) - elapsed;
        }

        /// <summary>After a wait: a new window, with the message that waited in it.</summary>
        public void Restart()
        {
            _windowStart = time.GetTimestamp();
            _count = 1;
        }
    }

    private Channel Find(MessageChannel name) => Array.Find(_channels, c => c.Name == name)!;

    private sealed record Channel(MessageChannel Name, ZmqSocket Socket, ZmqWireCodec Codec);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Dropped a message from kernel `{KernelName}` on {Channel}: {Error}")]
        public static partial void MessageRejected(ILogger logger, MessageChannel channel, WireError error, string kernelName);

        [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Dispatching a {Channel} message failed")]
        public static partial void DispatchFailed(ILogger logger, MessageChannel channel, Exception exception);
    }
}
