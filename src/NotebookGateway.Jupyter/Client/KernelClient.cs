using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Jupyter.Messages.Stdin;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// The client side of one kernel: shell, control and stdin as DEALERs (stdin shares shell's routing id,
/// as the spec requires), iopub as SUB, heartbeat as a relaxed REQ. Replies are matched to requests by
/// msg_id; iopub and stdin messages go to the observer of the request that caused them. Every received
/// message is verified; bad ones are dropped and counted.
/// </summary>
public sealed partial class KernelClient : IAsyncDisposable
{
    private const int SigInt = 2;

    private readonly KernelClientOptions _options;
    private readonly ILogger _logger;
    private readonly ZmqSocket _shell;
    private readonly ZmqSocket _control;
    private readonly ZmqSocket _stdin;
    private readonly ZmqSocket _iopub;
    private readonly ZmqSocket? _heartbeat;
    private readonly ZmqWireCodec _shellCodec;
    private readonly ZmqWireCodec _controlCodec;
    private readonly ZmqWireCodec _stdinCodec;
    private readonly ZmqWireCodec _iopubCodec;
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<string> _dead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstContact = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _listenersLock = new();
    private Action<JupyterMessage>[] _iopubListeners = [];
    private Task[] _loops = [];
    private Task _handshakes = Task.CompletedTask;
    private int _disposed;

    private KernelClient(ConnectionInfo connection, ZmqReactor reactor, KernelClientOptions options, ILogger logger)
    {
        Connection = connection;
        _options = options;
        _logger = logger;
        MessageSigner signer = connection.CreateSigner();
        _shellCodec = new ZmqWireCodec(signer, options.Limits);
        _controlCodec = new ZmqWireCodec(signer, options.Limits);
        _stdinCodec = new ZmqWireCodec(signer, options.Limits);
        _iopubCodec = new ZmqWireCodec(signer, options.Limits);
        byte[] identity = System.Text.Encoding.ASCII.GetBytes(options.Session);
        var common = new ZmqSocketOptions
        {
            // libzmq drops the connection for a message above its cap without telling anyone, so its cap is
            // twice ours: a message between the two reaches the codec, is refused and reported (MessageDropped).
            MaxMessageSize = options.Limits.MaxMessageBytes * 2,
            ReceiveQueueCapacity = options.ReceiveQueueCapacity,
            ReconnectInterval = TimeSpan.FromMilliseconds(100),
        };
        _shell = reactor.CreateSocket(ZmqSocketType.Dealer, common with { RoutingId = identity });
        _stdin = reactor.CreateSocket(ZmqSocketType.Dealer, common with { RoutingId = identity });
        _control = reactor.CreateSocket(ZmqSocketType.Dealer, common);
        _iopub = reactor.CreateSocket(ZmqSocketType.Sub, common with { Subscriptions = [ReadOnlyMemory<byte>.Empty] });
        if (options.EnableHeartbeat)
        {
            _heartbeat = reactor.CreateSocket(ZmqSocketType.Req, new ZmqSocketOptions { RequestRelaxed = true, ReconnectInterval = TimeSpan.FromMilliseconds(100) });
        }
    }

    public ConnectionInfo Connection { get; }

    public string Session => _options.Session;

    /// <summary>Completes with the reason once the heartbeat declares the kernel dead.</summary>
    public Task<string> Dead => _dead.Task;

    public bool IsAlive => !_dead.Task.IsCompleted;

    /// <summary>Messages from the kernel refused by signature or format checks.</summary>
    public long RejectedMessages =>
        _shellCodec.RejectedCount + _controlCodec.RejectedCount + _stdinCodec.RejectedCount + _iopubCodec.RejectedCount;

    /// <summary>
    /// Raised for every message from the kernel that was refused (bad signature, oversize, malformed), with
    /// the parent header when it could be read. Runs on a pump; must not block.
    /// </summary>
    public event Action<DroppedMessage>? MessageDropped;

    /// <summary>Requests waiting for a reply or for their idle status.</summary>
    public int PendingRequests => _pending.Count;

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
            await client.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return client;
    }

    /// <summary>Listens to every iopub message (fan-out). The listener runs on the pump and must not block.</summary>
    public IDisposable SubscribeIOPub(Action<JupyterMessage> listener)
    {
        lock (_listenersLock)
        {
            _iopubListeners = [.. _iopubListeners, listener];
        }
        return new Unsubscriber(this, listener);
    }

    /// <summary>A request from this client's session.</summary>
    public JupyterMessage CreateMessage(string msgType, ReadOnlyMemory<byte> content, JupyterMessage? parent = null) =>
        JupyterMessage.Create(msgType, content, _options.Session, _options.Username, parent);

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
        var pending = new PendingRequest(request.MsgId, observer);
        if (!_pending.TryAdd(request.MsgId, pending))
        {
            throw new InvalidOperationException($"A request with msg_id {request.MsgId} is already pending.");
        }
        try
        {
            await SendAsync(request, channel, cancellationToken).ConfigureAwait(false);
            return await pending.Reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pending.TryRemove(request.MsgId, out _);
            throw;
        }
    }

    /// <summary>Sends a message that expects no reply (input_reply, comm messages).</summary>
    public Task SendAsync(JupyterMessage message, MessageChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        (ZmqSocket socket, ZmqWireCodec codec) = channel switch
        {
            MessageChannel.Shell => (_shell, _shellCodec),
            MessageChannel.Control => (_control, _controlCodec),
            MessageChannel.Stdin => (_stdin, _stdinCodec),
            _ => throw new ArgumentException($"Clients cannot send on {channel}.", nameof(channel)),
        };
        // A DEALER adds our routing id itself: identities from a relayed message must not travel.
        JupyterMessage outgoing = message.Identities.Count == 0 ? message : message.WithIdentities([]);
        return socket.SendAsync(codec.Encode(outgoing), cancellationToken);
    }

    public Task<JupyterMessage> KernelInfoAsync(CancellationToken cancellationToken = default) =>
        RequestAsync(CreateMessage(new KernelInfoRequest()), MessageChannel.Shell, null, cancellationToken);

    /// <summary>
    /// Waits until the kernel answers kernel_info and an iopub message has arrived, so the SUB socket
    /// is connected and no output of the next request is lost (jupyter_server's "nudge").
    /// </summary>
    public async Task<JupyterMessage> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _handshakes.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The kernel's sockets did not all connect within {timeout}.");
        }
        var iopubSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = SubscribeIOPub(_ => iopubSeen.TrySetResult());
        // Every attempt stays pending until the end: a kernel answers in order, so the first request's reply
        // is the first to come, and waiting only for the latest attempt would throw it away.
        using var attempts = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var sent = new List<Task<JupyterMessage>>();
        void Ask() => sent.Add(RequestAsync(CreateMessage(new KernelInfoRequest()), MessageChannel.Shell, null, attempts.Token));
        TimeSpan retry = TimeSpan.FromMilliseconds(200);
        try
        {
            JupyterMessage? info = null;
            while (info is null)
            {
                Ask();
                Task delay = Task.Delay(retry, _options.TimeProvider, cts.Token);
                Task finished = await Task.WhenAny([.. sent, delay]).ConfigureAwait(false);
                if (finished != delay)
                {
                    info = await ((Task<JupyterMessage>)finished).ConfigureAwait(false); // a fault (kernel died) surfaces here
                }
                retry = TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, 2000));
            }
            while (!iopubSeen.Task.IsCompleted)
            {
                // The kernel's status for our request may have been published before SUB connected: ask again.
                Ask();
                await Task.WhenAny(iopubSeen.Task, Task.Delay(retry, _options.TimeProvider, cts.Token)).ConfigureAwait(false);
            }
            return info;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The kernel did not become ready within {timeout}.");
        }
        finally
        {
            // Unanswered attempts leave the pending map now instead of waiting forever.
            await attempts.CancelAsync().ConfigureAwait(false);
            _ = Task.WhenAll(sent).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

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
        _pending.TryGetValue(request.MsgId, out PendingRequest? pending);
        if (pending is not null)
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
        foreach (ZmqSocket? socket in new[] { _shell, _control, _stdin, _iopub, _heartbeat })
        {
            if (socket is not null)
            {
                await socket.DisposeAsync().ConfigureAwait(false);
            }
        }
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            await _handshakes.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The kernel never connected before we gave up on it.
        }
        FailPending(new ObjectDisposedException(nameof(KernelClient)));
        _stopping.Dispose();
    }

    private async Task StartAsync()
    {
        string Endpoint(MessageChannel channel) => _options.EndpointResolver?.Invoke(channel) ?? Connection.EndpointOf(channel);
        // A kernel drops what it sends to a socket whose handshake has not finished (an input_request
        // to a stdin socket still reconnecting is lost, and the kernel waits in input() forever), so
        // readiness includes every channel's handshake.
        _handshakes = Task.WhenAll(
            await WatchHandshakeAsync(_shell).ConfigureAwait(false),
            await WatchHandshakeAsync(_control).ConfigureAwait(false),
            await WatchHandshakeAsync(_stdin).ConfigureAwait(false),
            await WatchHandshakeAsync(_iopub).ConfigureAwait(false));
        await _shell.ConnectAsync(Endpoint(MessageChannel.Shell)).ConfigureAwait(false);
        await _control.ConnectAsync(Endpoint(MessageChannel.Control)).ConfigureAwait(false);
        await _stdin.ConnectAsync(Endpoint(MessageChannel.Stdin)).ConfigureAwait(false);
        await _iopub.ConnectAsync(Endpoint(MessageChannel.IOPub)).ConfigureAwait(false);
        var loops = new List<Task>
        {
            PumpAsync(_shell, _shellCodec, MessageChannel.Shell),
            PumpAsync(_control, _controlCodec, MessageChannel.Control),
            PumpAsync(_stdin, _stdinCodec, MessageChannel.Stdin),
            PumpAsync(_iopub, _iopubCodec, MessageChannel.IOPub),
        };
        if (_heartbeat is not null)
        {
            await _heartbeat.ConnectAsync(Endpoint(MessageChannel.Heartbeat)).ConfigureAwait(false);
            loops.Add(HeartbeatAsync(_heartbeat));
        }
        _loops = [.. loops];
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
                    ZmqMessage message = await monitor.ReceiveAsync(_stopping.Token).ConfigureAwait(false);
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

    private async Task PumpAsync(ZmqSocket socket, ZmqWireCodec codec, MessageChannel channel)
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage frames in socket.ReceiveAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                DecodeResult result = codec.Decode(frames);
                if (!result.Success)
                {
                    Log.MessageRejected(_logger, channel, result.Error, Connection.KernelName);
                    MessageDropped?.Invoke(new DroppedMessage(channel, result.Error, frames.TotalBytes, ZmqWireCodec.TryReadParentHeader(frames)));
                    continue;
                }
                _firstContact.TrySetResult();
                try
                {
                    Dispatch(channel, result.Message!);
                }
                catch (Exception ex)
                {
                    // A faulty observer must not stop the channel.
                    Log.DispatchFailed(_logger, channel, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void Dispatch(MessageChannel channel, JupyterMessage message)
    {
        string? parentId = message.ParentMsgId;
        PendingRequest? pending = parentId is null ? null : _pending.GetValueOrDefault(parentId);
        switch (channel)
        {
            case MessageChannel.Shell:
            case MessageChannel.Control:
                if (pending is null)
                {
                    Log.UnroutedReply(_logger, message.MsgType, parentId);
                    return;
                }
                pending.Reply.TrySetResult(message);
                if (pending.Observer is null || pending.Idle.Task.IsCompleted)
                {
                    _pending.TryRemove(pending.MsgId, out _);
                }
                else
                {
                    ScheduleObserverExpiry(pending);
                }
                break;
            case MessageChannel.Stdin:
                if (pending?.Observer is null)
                {
                    Log.UnroutedStdin(_logger, message.MsgType, parentId);
                    return;
                }
                pending.Observer.OnStdin(message);
                break;
            case MessageChannel.IOPub:
                foreach (Action<JupyterMessage> listener in Volatile.Read(ref _iopubListeners))
                {
                    listener(message);
                }
                if (pending is null)
                {
                    return;
                }
                pending.Observer?.OnIOPub(message);
                if (message.MsgType == MessageTypes.Status && message.GetContentString("execution_state") == ExecutionStates.Idle)
                {
                    pending.Idle.TrySetResult();
                    if (pending.Reply.Task.IsCompleted)
                    {
                        _pending.TryRemove(pending.MsgId, out _);
                    }
                }
                break;
        }
    }

    private void ScheduleObserverExpiry(PendingRequest pending)
    {
        // If the idle status never comes (a lost message), do not keep the observer forever.
        _ = Task.Delay(_options.ObserverIdleTimeout, _options.TimeProvider, _stopping.Token).ContinueWith(
            _ =>
            {
                if (_pending.TryRemove(new KeyValuePair<string, PendingRequest>(pending.MsgId, pending)))
                {
                    pending.Idle.TrySetResult();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task HeartbeatAsync(ZmqSocket heartbeat)
    {
        await Task.Yield();
        TimeProvider time = _options.TimeProvider;
        try
        {
            // A kernel that is still starting is not dead: judging starts with its first message
            // (the launcher's own timeout covers a kernel that never starts).
            await _firstContact.Task.WaitAsync(_stopping.Token).ConfigureAwait(false);
            long lastAnswer = time.GetTimestamp();
            while (!_stopping.IsCancellationRequested)
            {
                byte[] ping = RandomNumberGenerator.GetBytes(8);
                long sent = time.GetTimestamp();
                bool answered = false;
                using (var attempt = new CancellationTokenSource(_options.HeartbeatInterval, time))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token, _stopping.Token))
                {
                    try
                    {
                        await heartbeat.SendAsync(new ZmqMessage(ping), linked.Token).ConfigureAwait(false);
                        while (!answered)
                        {
                            ZmqMessage pong = await heartbeat.ReceiveAsync(linked.Token).ConfigureAwait(false);
                            answered = pong.Count == 1 && pong[0].Span.SequenceEqual(ping);
                        }
                    }
                    catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
                    {
                    }
                }
                if (answered)
                {
                    lastAnswer = time.GetTimestamp();
                    TimeSpan rest = _options.HeartbeatInterval - time.GetElapsedTime(sent);
                    if (rest > TimeSpan.Zero)
                    {
                        await Task.Delay(rest, time, _stopping.Token).ConfigureAwait(false);
                    }
                }
                else if (time.GetElapsedTime(lastAnswer) >= _options.HeartbeatTimeout)
                {
                    string reason = $"no heartbeat for {_options.HeartbeatTimeout.TotalSeconds:0.#} s";
                    Log.KernelDead(_logger, Connection.KernelName, reason);
                    _dead.TrySetResult(reason);
                    FailPending(new KernelDiedException($"The kernel died ({reason})."));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void FailPending(Exception error)
    {
        foreach (PendingRequest pending in _pending.Values)
        {
            pending.Reply.TrySetException(error);
            pending.Idle.TrySetException(error);
            _ = pending.Idle.Task.Exception; // observed: nobody may be waiting for it
        }
        _pending.Clear();
    }

    private void Unsubscribe(Action<JupyterMessage> listener)
    {
        lock (_listenersLock)
        {
            _iopubListeners = _iopubListeners.Where(l => l != listener).ToArray();
        }
    }

    private sealed class Unsubscriber(KernelClient client, Action<JupyterMessage> listener) : IDisposable
    {
        public void Dispose() => client.Unsubscribe(listener);
    }

    private sealed class PendingRequest(string msgId, IRequestObserver? observer)
    {
        public string MsgId { get; } = msgId;

        public IRequestObserver? Observer { get; } = observer;

        public TaskCompletionSource<JupyterMessage> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Idle { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Collects outputs for <see cref="ExecuteAsync"/> and answers input requests.</summary>
    private sealed class ExecutionCollector(KernelClient client, ExecuteOptions options, CancellationToken cancellationToken) : IRequestObserver
    {
        private readonly List<JupyterMessage> _outputs = [];
        private readonly Lock _lock = new();
        private Task _inputs = Task.CompletedTask;

        public Task InputsAnswered
        {
            get
            {
                lock (_lock)
                {
                    return _inputs;
                }
            }
        }

        public IReadOnlyList<JupyterMessage> Snapshot()
        {
            lock (_lock)
            {
                return [.. _outputs];
            }
        }

        public void OnIOPub(JupyterMessage message)
        {
            lock (_lock)
            {
                _outputs.Add(message);
            }
            options.OnOutput?.Invoke(message);
        }

        public void OnStdin(JupyterMessage message)
        {
            if (message.MsgType != MessageTypes.InputRequest || options.Input is null)
            {
                return;
            }
            lock (_lock)
            {
                _inputs = _inputs.ContinueWith(_ => AnswerAsync(message), cancellationToken, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            }
        }

        private async Task AnswerAsync(JupyterMessage inputRequest)
        {
            InputRequest? request = inputRequest.ReadContent(JupyterMessageJsonContext.Default.InputRequest);
            string value = await options.Input!(request?.Prompt ?? "", request?.Password ?? false).ConfigureAwait(false);
            JupyterMessage reply = client.CreateMessage(new InputReply { Value = value }, inputRequest);
            await client.SendAsync(reply, MessageChannel.Stdin, cancellationToken).ConfigureAwait(false);
        }
    }
}
