using System.Text;
using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// The tool's side of the bridge: the five ZMQ channels of the connection file the tool wrote, bound as a kernel binds
/// them, each with its codec (messages checked and signed with the local key). Nothing here waits on the tool: iopub is
/// a PUB socket and the others ROUTER sockets, which drop rather than block.
/// </summary>
internal sealed partial class ToolSockets : IAsyncDisposable
{
    private readonly ZmqContext _zmq;
    private readonly ZmqSocket _shell;
    private readonly ZmqSocket _control;
    private readonly ZmqSocket _stdin;
    private readonly ZmqSocket _iopub;
    private readonly ZmqSocket _heartbeat;
    private readonly ZmqWireCodec _shellCodec;
    private readonly ZmqWireCodec _controlCodec;
    private readonly ZmqWireCodec _stdinCodec;
    private readonly ZmqWireCodec _iopubCodec;
    private readonly ILogger _logger;

    public ToolSockets(ConnectionInfo connection, long maxMessageBytes, ILogger logger)
    {
        _logger = logger;
        var limits = new WireLimits { MaxMessageBytes = maxMessageBytes };
        MessageSigner signer = connection.CreateSigner();
        _shellCodec = new ZmqWireCodec(signer, limits);
        _controlCodec = new ZmqWireCodec(signer, limits);
        _stdinCodec = new ZmqWireCodec(signer, limits);
        _iopubCodec = new ZmqWireCodec(signer, limits);
        _zmq = new ZmqContext(new ZmqContextOptions { MaxSockets = 64, RaiseOpenFileLimit = false, TerminateTimeout = TimeSpan.FromSeconds(2) });
        // Linger: a reply sent just before exit (shutdown_reply) still reaches the tool.
        var common = new ZmqSocketOptions { MaxMessageSize = maxMessageBytes, Linger = TimeSpan.FromSeconds(1) };
        ZmqReactor reactor = _zmq.Reactor;
        _shell = reactor.CreateSocket(ZmqSocketType.Router, common);
        _control = reactor.CreateSocket(ZmqSocketType.Router, common);
        _stdin = reactor.CreateSocket(ZmqSocketType.Router, common);
        _iopub = reactor.CreateSocket(ZmqSocketType.Pub, common);
        // A ROUTER, not a REP: a ping may go unanswered (the remote kernel is dead) without wedging the socket.
        _heartbeat = reactor.CreateSocket(ZmqSocketType.Router, common with { Linger = TimeSpan.Zero });
    }

    public async Task BindAsync(ConnectionInfo connection)
    {
        await _shell.BindAsync(connection.EndpointOf(MessageChannel.Shell)).ConfigureAwait(false);
        await _control.BindAsync(connection.EndpointOf(MessageChannel.Control)).ConfigureAwait(false);
        await _stdin.BindAsync(connection.EndpointOf(MessageChannel.Stdin)).ConfigureAwait(false);
        await _iopub.BindAsync(connection.EndpointOf(MessageChannel.IOPub)).ConfigureAwait(false);
        await _heartbeat.BindAsync(connection.EndpointOf(MessageChannel.Heartbeat)).ConfigureAwait(false);
    }

    /// <summary>Receives the tool's messages on shell, control or stdin until stopped; a message that fails its check is logged and skipped.</summary>
    public async Task ServeAsync(MessageChannel channel, Func<JupyterMessage, MessageChannel, Task> handle, CancellationToken stopping)
    {
        (ZmqSocket socket, ZmqWireCodec codec) = Of(channel);
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage frames in socket.ReceiveAllAsync(stopping).ConfigureAwait(false))
            {
                DecodeResult decoded = codec.Decode(frames);
                if (!decoded.Success)
                {
                    Log.ToolMessageRejected(_logger, channel, decoded.Error);
                    continue;
                }
                JupyterMessage message = decoded.Message!;
                try
                {
                    await handle(message, channel).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.HandlingFailed(_logger, message.MsgType, ex);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or System.Threading.Channels.ChannelClosedException)
        {
        }
    }

    /// <summary>Echoes the tool's heartbeat pings while <paramref name="alive"/> says so (a dead kernel stops answering).</summary>
    public async Task EchoHeartbeatAsync(Func<bool> alive, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage ping in _heartbeat.ReceiveAllAsync(stopping).ConfigureAwait(false))
            {
                if (alive())
                {
                    await _heartbeat.SendAsync(ping, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Sends a reply made by the bridge itself on shell or control (its identities already the requester's).</summary>
    public async Task SendReplyAsync(MessageChannel channel, JupyterMessage message)
    {
        (ZmqSocket socket, ZmqWireCodec codec) = Of(channel == MessageChannel.Control ? MessageChannel.Control : MessageChannel.Shell);
        try
        {
            await socket.SendAsync(codec.Encode(message)).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Publishes a message made by the bridge itself on iopub.</summary>
    public async Task PublishAsync(JupyterMessage message)
    {
        try
        {
            await _iopub.SendAsync(_iopubCodec.Encode(message.WithIdentities([Topic(message)]))).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Relays a gateway message to the tool on <paramref name="channel"/>, addressed to <paramref name="identities"/> (iopub: to every subscriber).</summary>
    public void Relay(MessageChannel channel, JupyterMessage message, IReadOnlyList<ReadOnlyMemory<byte>> identities)
    {
        (ZmqSocket socket, ZmqWireCodec codec) = Of(channel);
        Post(socket, codec.Encode(message.WithIdentities(channel == MessageChannel.IOPub ? [Topic(message)] : identities)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ZmqSocket socket in new[] { _heartbeat, _shell, _control, _stdin, _iopub })
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
        await _zmq.DisposeAsync().ConfigureAwait(false);
    }

    private (ZmqSocket Socket, ZmqWireCodec Codec) Of(MessageChannel channel) => channel switch
    {
        MessageChannel.Shell => (_shell, _shellCodec),
        MessageChannel.Control => (_control, _controlCodec),
        MessageChannel.Stdin => (_stdin, _stdinCodec),
        MessageChannel.IOPub => (_iopub, _iopubCodec),
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "the heartbeat carries no messages"),
    };

    /// <summary>The iopub topic frame: jupyter_client's SUB sockets subscribe to everything and ignore it.</summary>
    private static byte[] Topic(JupyterMessage message) => Encoding.UTF8.GetBytes("kernel." + message.MsgType);

    /// <summary>
    /// Queues a relayed message on its socket without waiting for the reactor to take it: the reactor's command queue
    /// keeps them in order, and a PUB or ROUTER socket drops rather than blocks, so the relay never waits on the tool.
    /// </summary>
    private static void Post(ZmqSocket socket, ZmqMessage frames)
    {
        Task sending = socket.SendAsync(frames);
        if (!sending.IsCompletedSuccessfully)
        {
            _ = sending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5107, Level = LogLevel.Warning, Message = "Dropped a {Channel} message from the tool: {Error}")]
        public static partial void ToolMessageRejected(ILogger logger, MessageChannel channel, WireError error);

        [LoggerMessage(EventId = 5108, Level = LogLevel.Error, Message = "Handling `{MsgType}` from the tool failed")]
        public static partial void HandlingFailed(ILogger logger, string msgType, Exception exception);
    }
}
