using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NotebookGateway.Bridge.Gateway;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// A kernel as a Jupyter tool sees it (the five ZMQ channels of the connection file the tool wrote), backed by a
/// sandboxed kernel on the gateway reached over one channels websocket. Every message is relayed both ways: the
/// tool's are verified with the local key and sent unsigned (the gateway signs for its clients); the gateway's are
/// signed with the local key. Replies and input requests go back to the socket identity that sent the request.
/// </summary>
/// <remarks>
/// Handled here rather than relayed: <c>shutdown_request</c> (restart false: the remote kernel is deleted; true: it is
/// kept for the next bridge process, which restarts it), <c>interrupt_request</c> and SIGINT (both the REST interrupt),
/// heartbeats (echoed while the remote kernel is starting, running or being reconnected to, never once it is dead or
/// gone). When the gateway cannot give a kernel, every request gets a local answer carrying the gateway's message.
/// Nothing the remote side sends can block the relay: iopub is a PUB socket and replies go through ROUTER sockets,
/// both of which drop rather than wait, and every frame is bounded.
/// </remarks>
public sealed partial class BridgeKernel : IAsyncDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly GatewayClient _gateway;
    private readonly BridgeKernelOptions _options;
    private readonly RestartHandoff _handoff;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
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
    private readonly RequestRoutes _routes;
    private readonly LocalReplies _local;
    private readonly Channel<Outgoing> _outbox;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _sessionId = Guid.NewGuid().ToString("N");
    private readonly Lock _stateLock = new();
    /// <summary>One websocket send at a time, in order: the outbox drain and the direct path take it.</summary>
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly List<Task> _loops = [];
    private TaskCompletionSource<GatewaySocket?> _socketReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GatewaySocket? _socket;
    private BridgeState _state = BridgeState.Starting;
    private string? _problem;
    private string? _kernelId;
    private int _disposed;

    private BridgeKernel(ConnectionInfo connection, string connectionFile, GatewayClient gateway, BridgeKernelOptions options, ILogger logger, TimeProvider time)
    {
        _connection = connection;
        _gateway = gateway;
        _options = options;
        _logger = logger;
        _time = time;
        _handoff = new RestartHandoff(connectionFile, connection.Key);
        _routes = new RequestRoutes(options.MaxPendingRequests);
        _local = new LocalReplies(_sessionId, options.Language);
        _outbox = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(options.OutboxMessages)
        {
            SingleReader = false, // the sender loop, and AnswerPending when the kernel is lost
            AllowSynchronousContinuations = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the request is answered locally
        });
        var limits = new WireLimits { MaxMessageBytes = options.MaxMessageBytes };
        MessageSigner signer = connection.CreateSigner();
        _shellCodec = new ZmqWireCodec(signer, limits);
        _controlCodec = new ZmqWireCodec(signer, limits);
        _stdinCodec = new ZmqWireCodec(signer, limits);
        _iopubCodec = new ZmqWireCodec(signer, limits);
        _zmq = new ZmqContext(new ZmqContextOptions { MaxSockets = 64, RaiseOpenFileLimit = false, TerminateTimeout = TimeSpan.FromSeconds(2) });
        // Linger: a reply sent just before exit (shutdown_reply) still reaches the tool.
        var common = new ZmqSocketOptions { MaxMessageSize = options.MaxMessageBytes, Linger = TimeSpan.FromSeconds(1) };
        ZmqReactor reactor = _zmq.Reactor;
        _shell = reactor.CreateSocket(ZmqSocketType.Router, common);
        _control = reactor.CreateSocket(ZmqSocketType.Router, common);
        _stdin = reactor.CreateSocket(ZmqSocketType.Router, common);
        _iopub = reactor.CreateSocket(ZmqSocketType.Pub, common);
        // A ROUTER, not a REP: a ping may go unanswered (the remote kernel is dead) without wedging the socket.
        _heartbeat = reactor.CreateSocket(ZmqSocketType.Router, common with { Linger = TimeSpan.Zero });
    }

    /// <summary>The bridge's state (for tests and logs).</summary>
    public BridgeState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>The gateway kernel's id once started (or adopted).</summary>
    public string? KernelId => Volatile.Read(ref _kernelId);

    /// <summary>Completes with the process exit code once the bridge has finished (shutdown, signal, kernel lost).</summary>
    public Task<int> Exit => _exit.Task;

    /// <summary>Binds the tool's five channels, then starts (or adopts) the gateway kernel in the background.</summary>
    /// <param name="startupProblem">A problem found before the gateway was asked (an unreadable token file): the bridge
    /// starts in the failed state and answers every request with it.</param>
    public static async Task<BridgeKernel> StartAsync(ConnectionInfo connection, string connectionFile, GatewayClient gateway, BridgeKernelOptions options,
        ILogger logger, string? startupProblem = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var kernel = new BridgeKernel(connection, connectionFile, gateway, options, logger, time ?? TimeProvider.System);
        try
        {
            await kernel.BindAsync().ConfigureAwait(false);
        }
        catch
        {
            await kernel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        RestartHandoff.SweepStale(Path.GetDirectoryName(Path.GetFullPath(connectionFile)) ?? "/");
        if (startupProblem is not null)
        {
            kernel.Fail(startupProblem);
        }
        else
        {
            kernel.Track(kernel.ConnectRemoteAsync());
        }
        return kernel;
    }

    /// <summary>SIGINT (interrupt_mode signal): interrupts the remote kernel.</summary>
    public void OnInterruptSignal() => _ = InterruptRemoteAsync(null);

    /// <summary>
    /// SIGTERM, or the tool that started the kernel is gone: the remote kernel is deleted and the bridge exits. Ignored
    /// while a shutdown is already under way (jupyter_client sends SIGTERM to a kernel slow to exit after a restart).
    /// </summary>
    public Task TerminateAsync(string reason) => StopAsync(reason, deleteRemote: true, exitCode: 0);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _outbox.Writer.TryComplete();
        GatewaySocket? socket = TakeSocket();
        if (socket is not null)
        {
            await socket.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        foreach (ZmqSocket zmq in new[] { _heartbeat, _shell, _control, _stdin, _iopub })
        {
            await zmq.DisposeAsync().ConfigureAwait(false);
        }
        Task[] loops;
        lock (_stateLock)
        {
            loops = [.. _loops];
        }
        try
        {
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or ObjectDisposedException or WebSocketException)
        {
        }
        if (socket is not null)
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
        await _zmq.DisposeAsync().ConfigureAwait(false);
        _exit.TrySetResult(0);
        _stopping.Dispose();
        _sendLock.Dispose();
    }

    private async Task BindAsync()
    {
        await _shell.BindAsync(_connection.EndpointOf(MessageChannel.Shell)).ConfigureAwait(false);
        await _control.BindAsync(_connection.EndpointOf(MessageChannel.Control)).ConfigureAwait(false);
        await _stdin.BindAsync(_connection.EndpointOf(MessageChannel.Stdin)).ConfigureAwait(false);
        await _iopub.BindAsync(_connection.EndpointOf(MessageChannel.IOPub)).ConfigureAwait(false);
        await _heartbeat.BindAsync(_connection.EndpointOf(MessageChannel.Heartbeat)).ConfigureAwait(false);
        Track(ServeAsync(_shell, _shellCodec, MessageChannel.Shell));
        Track(ServeAsync(_control, _controlCodec, MessageChannel.Control));
        Track(ServeAsync(_stdin, _stdinCodec, MessageChannel.Stdin));
        Track(EchoHeartbeatAsync());
        Track(SendToGatewayAsync());
        await PublishAsync(_local.Status(ExecutionStates.Starting, null)).ConfigureAwait(false);
    }

    private void Track(Task loop)
    {
        lock (_stateLock)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(loop);
        }
    }

    // ---- the remote kernel ----

    private async Task ConnectRemoteAsync()
    {
        await Task.Yield();
        CancellationToken stopping = _stopping.Token;
        try
        {
            string kernelId = await AdoptOrStartAsync(stopping).ConfigureAwait(false);
            Volatile.Write(ref _kernelId, kernelId);
            _handoff.Save(kernelId, _gateway.BaseUrl, _options.SpecName);
            GatewaySocket socket;
            try
            {
                socket = await OpenSocketAsync(kernelId, stopping).ConfigureAwait(false);
            }
            catch (GatewayException)
            {
                await DeleteRemoteAsync(kernelId).ConfigureAwait(false); // started but unusable: do not leave it behind
                throw;
            }
            if (!Attach(socket, BridgeState.Starting))
            {
                await socket.DisposeAsync().ConfigureAwait(false); // stopped meanwhile
                return;
            }
            Log.Connected(_logger, kernelId, _options.SpecName, _gateway.BaseUrl);
        }
        catch (GatewayException ex)
        {
            Fail(ex.Message);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail($"The bridge could not keep its restart record beside the connection file ({ex.Message}).");
        }
    }

    /// <summary>
    /// The kernel a previous bridge process left for this connection (restarted: a new process means a fresh kernel to
    /// the tool), or a new one in the workspace with the lease.
    /// </summary>
    private async Task<string> AdoptOrStartAsync(CancellationToken cancellationToken)
    {
        if (_handoff.Load(_gateway.BaseUrl, _options.SpecName) is { } previous
            && await _gateway.GetKernelAsync(previous.KernelId, cancellationToken).ConfigureAwait(false) is not null)
        {
            try
            {
                await _gateway.RestartKernelAsync(previous.KernelId, _options.StartTimeout, cancellationToken).ConfigureAwait(false);
                Log.Adopted(_logger, previous.KernelId);
                return previous.KernelId;
            }
            catch (GatewayException ex) when (ex.Failure == GatewayFailure.NotFound)
            {
                // Gone between the two calls: start a new one.
            }
        }
        var env = new Dictionary<string, string>(_options.KernelEnvironment, StringComparer.Ordinal)
        {
            ["KERNEL_LEASE_SECONDS"] = _options.LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (_options.Workspace is not null)
        {
            env[WorkspaceNames.WorkspaceVariable] = _options.Workspace;
        }
        RemoteKernel kernel = await _gateway.StartKernelAsync(_options.SpecName, env, _options.StartTimeout, cancellationToken).ConfigureAwait(false);
        return kernel.Id;
    }

    private Task<GatewaySocket> OpenSocketAsync(string kernelId, CancellationToken cancellationToken) =>
        GatewaySocket.ConnectAsync(_gateway.ChannelsUrl(kernelId, _sessionId), _gateway.Token, _options.MaxMessageBytes,
            _options.RequestTimeout, _options.KeepAlive, cancellationToken);

    /// <summary>Makes <paramref name="socket"/> the current connection (from <paramref name="expected"/>) and starts reading it.</summary>
    private bool Attach(GatewaySocket socket, BridgeState expected)
    {
        lock (_stateLock)
        {
            if (_state != expected)
            {
                return false;
            }
            _socket = socket;
            _state = BridgeState.Running;
            _socketReady.TrySetResult(socket);
        }
        Track(ReceiveFromGatewayAsync(socket));
        return true;
    }

    private GatewaySocket? TakeSocket()
    {
        lock (_stateLock)
        {
            GatewaySocket? socket = _socket;
            _socket = null;
            if (_socketReady.Task.IsCompleted)
            {
                _socketReady = new TaskCompletionSource<GatewaySocket?>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return socket;
        }
    }

    /// <summary>The gateway gave no kernel: say why once on stderr, and answer every request with it from now on.</summary>
    private void Fail(string problem)
    {
        lock (_stateLock)
        {
            if (_state is not (BridgeState.Starting or BridgeState.Running or BridgeState.Reconnecting))
            {
                return;
            }
            _state = BridgeState.Failed;
            _problem = problem;
            _socketReady.TrySetResult(null);
        }
        _handoff.Delete();
        Console.Error.WriteLine("NotebookGateway bridge: " + problem);
        AnswerPending(problem);
    }

    /// <summary>The remote kernel is dead or gone: heartbeats stop, requests get the reason, and the bridge exits so the tool sees a dead kernel.</summary>
    private void Lose(string problem)
    {
        lock (_stateLock)
        {
            if (_state is not (BridgeState.Running or BridgeState.Reconnecting))
            {
                return;
            }
            _state = BridgeState.Dead;
            _problem = problem;
            _socketReady.TrySetResult(null);
        }
        Console.Error.WriteLine("NotebookGateway bridge: " + problem);
        _ = ExitAfterAsync(_options.DeadExitDelay, 1);
    }

    private async Task ExitAfterAsync(TimeSpan delay, int code)
    {
        try
        {
            // Product behaviour, not synchronisation: the gateway's last replies for the dead kernel are relayed meanwhile.
            await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        AnswerPending(_problem ?? "the kernel is gone");
        _exit.TrySetResult(code);
    }

    private void AnswerPending(string problem)
    {
        while (_outbox.Reader.TryRead(out Outgoing queued))
        {
            _routes.Take(queued.Message.MsgId);
            _ = AnswerLocallyAsync(queued.Message, queued.Channel, problem);
        }
        foreach (Route route in _routes.TakeAll())
        {
            _ = AnswerLocallyAsync(route.Request, route.Channel, problem);
        }
    }

    private async Task StopAsync(string reason, bool deleteRemote, int exitCode)
    {
        lock (_stateLock)
        {
            if (_state == BridgeState.Stopping)
            {
                return;
            }
            _state = BridgeState.Stopping;
            _socketReady.TrySetResult(null);
        }
        Log.Stopping(_logger, reason);
        GatewaySocket? socket = TakeSocket();
        if (socket is not null)
        {
            await socket.CloseAsync(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        }
        if (deleteRemote)
        {
            if (KernelId is { } id)
            {
                await DeleteRemoteAsync(id).ConfigureAwait(false);
            }
            _handoff.Delete();
        }
        _exit.TrySetResult(exitCode);
    }

    private async Task DeleteRemoteAsync(string kernelId)
    {
        try
        {
            await _gateway.DeleteKernelAsync(kernelId, _options.ShutdownTimeout, CancellationToken.None).ConfigureAwait(false);
            Log.Deleted(_logger, kernelId);
        }
        catch (GatewayException ex)
        {
            // The gateway finishes a deletion it has received; otherwise the lease removes the kernel.
            Log.DeleteFailed(_logger, kernelId, ex.Message);
        }
    }

    private async Task InterruptRemoteAsync(JupyterMessage? request)
    {
        string? error = null;
        if (KernelId is { } id && State is BridgeState.Running or BridgeState.Reconnecting)
        {
            try
            {
                await _gateway.InterruptKernelAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (GatewayException ex) when (State is BridgeState.Stopping or BridgeState.Dead)
            {
                error = ex.Message; // jupyter_client interrupts before every shutdown: the kernel may be gone already
            }
            catch (GatewayException ex)
            {
                error = ex.Message;
                Log.InterruptFailed(_logger, ex.Message);
            }
        }
        if (request is not null)
        {
            await SendLocalAsync(_control, _controlCodec, _local.InterruptReply(request, error)).ConfigureAwait(false);
        }
    }

    // ---- tool → gateway ----

    private async Task ServeAsync(ZmqSocket socket, ZmqWireCodec codec, MessageChannel channel)
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage frames in socket.ReceiveAllAsync(_stopping.Token).ConfigureAwait(false))
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
                    await HandleFromToolAsync(message, channel).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.HandlingFailed(_logger, message.MsgType, ex);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
        }
    }

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
        (ZmqSocket socket, ZmqWireCodec codec) = channel == MessageChannel.Shell ? (_shell, _shellCodec) : (_control, _controlCodec);
        JupyterMessage reply = _local.ShutdownReply(request, restart);
        await SendLocalAsync(socket, codec, reply).ConfigureAwait(false);
        await PublishAsync(reply.WithIdentities([])).ConfigureAwait(false); // ipykernel also publishes it, for other clients
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
                Post(_iopub, _iopubCodec.Encode(message.WithIdentities([Topic(message)])));
                if (message.MsgType == MessageTypes.Status && message.ParentHeader is null
                    && message.GetContentString("execution_state") == ExecutionStates.Dead)
                {
                    Lose("The sandboxed kernel died on the gateway (restart the kernel to go on; its workspace files are kept).");
                }
                break;
            case MessageChannel.Shell or MessageChannel.Control:
                if (_routes.Take(message.ParentMsgId) is { } route)
                {
                    (ZmqSocket socket, ZmqWireCodec codec) = route.Channel == MessageChannel.Shell ? (_shell, _shellCodec) : (_control, _controlCodec);
                    Post(socket, codec.Encode(message.WithIdentities(route.Request.Identities)));
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
                    Post(_stdin, _stdinCodec.Encode(message.WithIdentities(requester.Request.Identities)));
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

    private async Task EchoHeartbeatAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage ping in _heartbeat.ReceiveAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (State is BridgeState.Starting or BridgeState.Running or BridgeState.Reconnecting or BridgeState.Failed)
                {
                    await _heartbeat.SendAsync(ping, _stopping.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task AnswerLocallyAsync(JupyterMessage request, MessageChannel channel, string problem)
    {
        LocalAnswer answer = _local.Answer(request, problem);
        foreach (JupyterMessage iopub in answer.IOPub.Take(answer.IOPub.Count - 1))
        {
            await PublishAsync(iopub).ConfigureAwait(false);
        }
        if (answer.Reply is not null)
        {
            (ZmqSocket socket, ZmqWireCodec codec) = channel == MessageChannel.Control ? (_control, _controlCodec) : (_shell, _shellCodec);
            await SendLocalAsync(socket, codec, answer.Reply).ConfigureAwait(false);
        }
        if (answer.IOPub.Count > 0)
        {
            await PublishAsync(answer.IOPub[^1]).ConfigureAwait(false); // idle after the reply, as ipykernel does
        }
    }

    private static async Task SendLocalAsync(ZmqSocket socket, ZmqWireCodec codec, JupyterMessage message)
    {
        try
        {
            await socket.SendAsync(codec.Encode(message)).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task PublishAsync(JupyterMessage message)
    {
        try
        {
            await _iopub.SendAsync(_iopubCodec.Encode(message.WithIdentities([Topic(message)]))).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

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

    private readonly record struct Outgoing(JupyterMessage Message, MessageChannel Channel);

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Connected to kernel `{KernelId}` ({Spec}) on {Gateway}")]
        public static partial void Connected(ILogger logger, string kernelId, string spec, Uri gateway);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Restarted kernel `{KernelId}` left by the previous bridge process of this connection")]
        public static partial void Adopted(ILogger logger, string kernelId);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Stopping: {Reason}")]
        public static partial void Stopping(ILogger logger, string reason);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Deleted kernel `{KernelId}` on the gateway")]
        public static partial void Deleted(ILogger logger, string kernelId);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "Deleting kernel `{KernelId}` failed (its lease will remove it): {Error}")]
        public static partial void DeleteFailed(ILogger logger, string kernelId, string error);

        [LoggerMessage(EventId = 5106, Level = LogLevel.Warning, Message = "Interrupting the kernel failed: {Error}")]
        public static partial void InterruptFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 5107, Level = LogLevel.Warning, Message = "Dropped a {Channel} message from the tool: {Error}")]
        public static partial void ToolMessageRejected(ILogger logger, MessageChannel channel, WireError error);

        [LoggerMessage(EventId = 5108, Level = LogLevel.Error, Message = "Handling `{MsgType}` from the tool failed")]
        public static partial void HandlingFailed(ILogger logger, string msgType, Exception exception);

        [LoggerMessage(EventId = 5109, Level = LogLevel.Warning, Message = "The queue to the gateway is full; dropped `{MsgType}`")]
        public static partial void OutboxFull(ILogger logger, string msgType);

        [LoggerMessage(EventId = 5110, Level = LogLevel.Warning, Message = "Sending `{MsgType}` to the gateway failed: {Error}")]
        public static partial void SendFailed(ILogger logger, string msgType, string error);

        [LoggerMessage(EventId = 5111, Level = LogLevel.Warning, Message = "Dropped a message from the gateway: {Reason}")]
        public static partial void GatewayMessageDropped(ILogger logger, string reason);

        [LoggerMessage(EventId = 5112, Level = LogLevel.Warning, Message = "The connection to the gateway dropped: {Error}")]
        public static partial void ConnectionLost(ILogger logger, string error);

        [LoggerMessage(EventId = 5113, Level = LogLevel.Debug, Message = "No requester for `{MsgType}` (parent {ParentId}); dropped")]
        public static partial void Unrouted(ILogger logger, string msgType, string? parentId);

        [LoggerMessage(EventId = 5114, Level = LogLevel.Information, Message = "Reconnected to kernel `{KernelId}` after {Attempts} attempt(s)")]
        public static partial void Reconnected(ILogger logger, string kernelId, int attempts);

        [LoggerMessage(EventId = 5115, Level = LogLevel.Information, Message = "Reconnection attempt {Attempt} failed: {Error}")]
        public static partial void ReconnectFailed(ILogger logger, int attempt, string error);
    }
}

/// <summary>Where a bridged kernel is in its life.</summary>
public enum BridgeState
{
    /// <summary>Starting (or adopting) the remote kernel; requests wait in the outbox.</summary>
    Starting,

    /// <summary>Connected to the remote kernel.</summary>
    Running,

    /// <summary>The websocket dropped; reconnecting with the same session id while the lease lasts.</summary>
    Reconnecting,

    /// <summary>The gateway gave no kernel; every request is answered locally with its message.</summary>
    Failed,

    /// <summary>The remote kernel died or is gone; the bridge is about to exit.</summary>
    Dead,

    /// <summary>Shutting down (shutdown_request, SIGTERM, the tool gone).</summary>
    Stopping,
}
