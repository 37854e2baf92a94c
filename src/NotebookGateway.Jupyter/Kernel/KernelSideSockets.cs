using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Jupyter.Kernel;

/// <summary>
/// The kernel side's sockets, bound from a connection file: shell, control and stdin as ROUTERs, iopub as PUB and the
/// heartbeat, each message channel with a codec of its own that verifies what arrives. <see cref="KernelServer"/> serves
/// requests on them; the kernelspec bridge relays through them.
/// </summary>
public sealed partial class KernelSideSockets : IAsyncDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly ILogger _logger;
    private readonly ZmqSocket _shell;
    private readonly ZmqSocket _control;
    private readonly ZmqSocket _stdin;
    private readonly ZmqSocket _iopub;
    private readonly ZmqSocket _heartbeat;
    private readonly ZmqWireCodec _shellCodec;
    private readonly ZmqWireCodec _controlCodec;
    private readonly ZmqWireCodec _stdinCodec;
    private readonly ZmqWireCodec _iopubCodec;

    /// <param name="socketOptions">Options of the message sockets; the message size cap comes from <paramref name="limits"/>.</param>
    /// <param name="heartbeat">
    /// A REP for a kernel, which answers every ping; a relay uses a ROUTER, so a ping it leaves unanswered (the kernel
    /// behind it is dead) does not wedge the socket.
    /// </param>
    /// <param name="heartbeatOptions">Options of the heartbeat socket (default: <paramref name="socketOptions"/>).</param>
    public KernelSideSockets(ConnectionInfo connection, ZmqReactor reactor, WireLimits limits, ILogger logger,
        ZmqSocketOptions? socketOptions = null, ZmqSocketType heartbeat = ZmqSocketType.Rep, ZmqSocketOptions? heartbeatOptions = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(limits);
        _connection = connection;
        _logger = logger;
        MessageSigner signer = connection.CreateSigner();
        _shellCodec = new ZmqWireCodec(signer, limits);
        _controlCodec = new ZmqWireCodec(signer, limits);
        _stdinCodec = new ZmqWireCodec(signer, limits);
        _iopubCodec = new ZmqWireCodec(signer, limits);
        ZmqSocketOptions common = (socketOptions ?? new ZmqSocketOptions()) with { MaxMessageSize = limits.MaxMessageBytes };
        _shell = reactor.CreateSocket(ZmqSocketType.Router, common);
        _control = reactor.CreateSocket(ZmqSocketType.Router, common);
        _stdin = reactor.CreateSocket(ZmqSocketType.Router, common);
        _iopub = reactor.CreateSocket(ZmqSocketType.Pub, common);
        _heartbeat = reactor.CreateSocket(heartbeat, heartbeatOptions ?? common);
    }

    /// <summary>Requests refused by signature or format checks on shell, control and stdin.</summary>
    public long RejectedMessages => _shellCodec.RejectedCount + _controlCodec.RejectedCount + _stdinCodec.RejectedCount;

    public async Task BindAsync()
    {
        await _shell.BindAsync(_connection.EndpointOf(MessageChannel.Shell)).ConfigureAwait(false);
        await _control.BindAsync(_connection.EndpointOf(MessageChannel.Control)).ConfigureAwait(false);
        await _stdin.BindAsync(_connection.EndpointOf(MessageChannel.Stdin)).ConfigureAwait(false);
        await _iopub.BindAsync(_connection.EndpointOf(MessageChannel.IOPub)).ConfigureAwait(false);
        await _heartbeat.BindAsync(_connection.EndpointOf(MessageChannel.Heartbeat)).ConfigureAwait(false);
    }

    /// <summary>
    /// Receives on shell, control or stdin until <paramref name="stopping"/> fires, the sockets close, or
    /// <paramref name="handle"/> returns false. A message that fails its check, and a handler that fails, are logged and
    /// skipped.
    /// </summary>
    public async Task ServeAsync(MessageChannel channel, Func<JupyterMessage, Task<bool>> handle, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(handle);
        (ZmqSocket socket, ZmqWireCodec codec) = Of(channel);
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage frames in socket.ReceiveAllAsync(stopping).ConfigureAwait(false))
            {
                DecodeResult decoded = codec.Decode(frames);
                if (!decoded.Success)
                {
                    Log.RequestRejected(_logger, channel, decoded.Error);
                    continue;
                }
                JupyterMessage message = decoded.Message!;
                try
                {
                    if (!await handle(message).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    Log.HandlerFailed(_logger, message.MsgType, ex);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
            // Stopped, or the sockets closed under the loop.
        }
    }

    /// <summary>Echoes heartbeat pings while <paramref name="alive"/> says so (a REP heartbeat must always answer).</summary>
    public async Task EchoHeartbeatAsync(Func<bool> alive, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(alive);
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
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
        }
    }

    /// <summary>
    /// Signs and sends <paramref name="message"/> on <paramref name="channel"/>: on a ROUTER to the identities it carries,
    /// on iopub to every subscriber (with the <c>kernel.&lt;msg_type&gt;</c> topic frame).
    /// </summary>
    public Task SendAsync(MessageChannel channel, JupyterMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        (ZmqSocket socket, ZmqWireCodec codec) = Of(channel);
        // jupyter_client uses "kernel.<id>.<msg_type>" as the topic; its SUB sockets subscribe to everything.
        JupyterMessage outgoing = channel == MessageChannel.IOPub ? message.WithIdentities([Encoding.UTF8.GetBytes("kernel." + message.MsgType)]) : message;
        return socket.SendAsync(codec.Encode(outgoing), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ZmqSocket socket in new[] { _heartbeat, _shell, _control, _stdin, _iopub })
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    private (ZmqSocket Socket, ZmqWireCodec Codec) Of(MessageChannel channel) => channel switch
    {
        MessageChannel.Shell => (_shell, _shellCodec),
        MessageChannel.Control => (_control, _controlCodec),
        MessageChannel.Stdin => (_stdin, _stdinCodec),
        MessageChannel.IOPub => (_iopub, _iopubCodec),
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "the heartbeat carries no messages"),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Dropped a {Channel} request: {Error}")]
        public static partial void RequestRejected(ILogger logger, MessageChannel channel, WireError error);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Handling `{MsgType}` failed")]
        public static partial void HandlerFailed(ILogger logger, string msgType, Exception exception);
    }
}
