using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// The client side of one kernel. Its parts: <see cref="KernelSockets"/> (the five channels, their codecs and
/// pumps; every received message is verified, bad ones are dropped and counted), <see cref="RequestRouter"/> (replies
/// matched to requests by msg_id; iopub and stdin to the observer of the request that caused them),
/// <see cref="KernelHeartbeat"/>, <see cref="KernelReadiness"/> and <see cref="ExecutionCollector"/>.
/// </summary>
public sealed class KernelClient : IAsyncDisposable
{
    private const int SigInt = 2;

    /// <summary>How many msg_ids of sent messages <see cref="HasSent"/> remembers.</summary>
    private const int SentIdsRemembered = 4096;

    private readonly KernelClientOptions _options;
    private readonly KernelSockets _sockets;
    private readonly RequestRouter _router;
    private readonly KernelHeartbeat? _heartbeat;
    private readonly CancellationTokenSource _stopping = new();
    private readonly RecentSet<string> _sent = new(SentIdsRemembered);
    private readonly TaskCompletionSource<string> _dead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstContact = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _heartbeatLoop = Task.CompletedTask;
    private int _disposed;

    private KernelClient(ConnectionInfo connection, ZmqReactor reactor, KernelClientOptions options, ILogger logger)
    {
        Connection = connection;
        _options = options;
        _router = new RequestRouter(options, logger, (channel, message) => Unmatched?.Invoke(channel, message), _stopping.Token);
        _sockets = new KernelSockets(connection, reactor, options, logger, OnMessage, dropped => MessageDropped?.Invoke(dropped), _stopping.Token);
        if (_sockets.Heartbeat is { } heartbeat)
        {
            _heartbeat = new KernelHeartbeat(heartbeat, options, connection.KernelName, logger);
        }
    }

    public ConnectionInfo Connection { get; }

    public string Session => _options.Session;

    /// <summary>Completes with the reason once the heartbeat declares the kernel dead.</summary>
    public Task<string> Dead => _dead.Task;

    public bool IsAlive => !_dead.Task.IsCompleted;

    /// <summary>Messages from the kernel refused by signature or format checks.</summary>
    public long RejectedMessages => _sockets.RejectedMessages;

    /// <summary>
    /// Raised for every message from the kernel that was refused (bad signature, oversize, malformed), with
    /// the parent header when it could be read. Runs on a pump; must not block.
    /// </summary>
    public event Action<DroppedMessage>? MessageDropped;

    /// <summary>
    /// Raised for a reply or stdin message from the kernel whose parent is not a request waiting for it (never sent, or
    /// already answered): the message is dropped. Code in the kernel holds the key, so this is how forgery shows. Runs on
    /// a pump; must not block.
    /// </summary>
    public event Action<MessageChannel, JupyterMessage>? Unmatched;

    /// <summary>Requests waiting for a reply or for their idle status.</summary>
    public int PendingRequests => _router.Count;

    /// <summary>Whether this client sent a message with this msg_id (among its last few thousand).</summary>
    public bool HasSent(string msgId) => _sent.Contains(msgId);

    public static async Task<KernelClient> ConnectAsync(
        ConnectionInfo connection,
        ZmqReactor reactor,
        KernelClientOptions? options = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(reactor);
        var client = new KernelClient(connection, reactor, options ?? new KernelClientOptions(), logger ?? NullLogger.Instance);
        try
        {
            await client._sockets.ConnectAsync().ConfigureAwait(false);
            if (client._heartbeat is { } heartbeat)
            {
                client._heartbeatLoop = heartbeat.RunAsync(client._firstContact.Task, client.OnHeartbeatLost, client._stopping.Token);
            }
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return client;
    }

    /// <summary>Listens to every iopub message (fan-out). The listener runs on the pump and must not block.</summary>
    public IDisposable SubscribeIOPub(Action<JupyterMessage> listener) => _router.SubscribeIOPub(listener);

    /// <summary>A request from this client's session.</summary>
    public JupyterMessage CreateMessage(string msgType, ReadOnlyMemory<byte> content, JupyterMessage? parent = null) =>
        JupyterMessage.Create(msgType, content, _options.Session, _options.Username, parent, timeProvider: _options.TimeProvider);

    public JupyterMessage CreateMessage<T>(T content, JupyterMessage? parent = null)
    {
        string msgType = MessageContentTypes.MessageTypeOf(typeof(T))
            ?? throw new ArgumentException($"{typeof(T).Name} is not a Jupyter message content type.", nameof(content));
        return CreateMessage(msgType, MessageContentTypes.Serialize(content), parent);
    }

    /// <summary>Sends a request and returns its reply. The observer, if any, sees the request's iopub and stdin traffic until the kernel is idle again.</summary>
    public async Task<JupyterMessage> RequestAsync(
        JupyterMessage request,
        MessageChannel channel = MessageChannel.Shell,
        IRequestObserver? observer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_dead.Task.IsCompleted)
        {
            throw new KernelDiedException(_dead.Task.Result);
        }
        RequestRouter.PendingRequest pending = _router.Add(request.MsgId, observer);
        try
        {
            await SendAsync(request, channel, cancellationToken).ConfigureAwait(false);
            return await pending.Reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _router.Remove(request.MsgId);
            throw;
        }
    }

    /// <summary>Sends a message that expects no reply (input_reply, comm messages).</summary>
    public Task SendAsync(JupyterMessage message, MessageChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        _ = _sent.Add(message.MsgId);
        return _sockets.SendAsync(message, channel, cancellationToken);
    }

    public Task<JupyterMessage> KernelInfoAsync(CancellationToken cancellationToken = default) =>
        RequestAsync(CreateMessage(new KernelInfoRequest()), MessageChannel.Shell, null, cancellationToken);

    /// <summary>
    /// Waits until the kernel answers kernel_info and an iopub message has arrived, so the SUB socket
    /// is connected and no output of the next request is lost (jupyter_server's "nudge").
    /// </summary>
    public Task<JupyterMessage> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        KernelReadiness.WaitAsync(this, _sockets.Handshakes, timeout, _options.TimeProvider, cancellationToken);

    /// <summary>Runs code and collects its reply and outputs; completes when both the reply and the idle status have arrived.</summary>
    public async Task<ExecutionOutcome> ExecuteAsync(string code, ExecuteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ExecuteOptions();
        JupyterMessage request = CreateMessage(new ExecuteRequest
        {
            Code = code,
            Silent = options.Silent,
            StoreHistory = options.StoreHistory,
            AllowStdin = options.Input is not null,
            StopOnError = options.StopOnError,
        });
        var collector = new ExecutionCollector(this, options, cancellationToken);
        JupyterMessage reply = await RequestAsync(request, MessageChannel.Shell, collector, cancellationToken).ConfigureAwait(false);
        if (_router.Find(request.MsgId) is { } pending)
        {
            await pending.Idle.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        await collector.InputsAnswered.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new ExecutionOutcome(reply, collector.Snapshot());
    }

    /// <summary>Interrupts per the kernelspec's interrupt_mode: SIGINT through the signaler, or interrupt_request on control.</summary>
    public async Task InterruptAsync(CancellationToken cancellationToken = default)
    {
        if (_options.InterruptMode == InterruptMode.Signal && _options.Signaler is { } signaler)
        {
            await signaler.SignalAsync(SigInt, cancellationToken).ConfigureAwait(false);
            return;
        }
        await RequestAsync(CreateMessage(new InterruptRequest()), MessageChannel.Control, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the kernel to shut down (or restart in place) on control and returns its reply.</summary>
    public Task<JupyterMessage> ShutdownAsync(bool restart = false, CancellationToken cancellationToken = default) =>
        RequestAsync(CreateMessage(new ShutdownRequest { Restart = restart }), MessageChannel.Control, null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sockets.DisposeAsync().ConfigureAwait(false);
        await _heartbeatLoop.ConfigureAwait(false);
        _router.FailAll(new ObjectDisposedException(nameof(KernelClient)));
        _stopping.Dispose();
    }

    private void OnMessage(MessageChannel channel, JupyterMessage message)
    {
        _firstContact.TrySetResult();
        _router.Dispatch(channel, message);
    }

    private void OnHeartbeatLost(string reason)
    {
        _dead.TrySetResult(reason);
        _router.FailAll(new KernelDiedException($"The kernel died ({reason})."));
    }
}
