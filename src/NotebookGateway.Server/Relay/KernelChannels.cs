using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// The relay of one kernel, shared by every transport (the channels websocket, the SignalR hub): iopub is fanned out
/// to every client session, replies and stdin go only to the session that sent the request, an execute_request passes
/// the admission checks (<see cref="IExecuteAdmission"/>, then the execution limits) first, output passes the
/// <see cref="OutputLimiter"/>, and sessions without a transport keep buffering for a reconnect. Survives kernel
/// restarts: <see cref="Bind"/> switches it to the new run's client. Knows no transport and nothing above it.
/// </summary>
public sealed partial class KernelChannels
{
    private readonly ConcurrentDictionary<string, ClientSession> _sessions = new(StringComparer.Ordinal);
    private readonly ChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<IExecuteAdmission> _admissions;
    private readonly Lock _bindLock = new();
    /// <summary>Executes whose run ended before the lifecycle said why (restarting or dead): answered when it does.</summary>
    private readonly List<(ClientSession Session, JupyterMessage Request)> _unanswered = [];
    private OutputLimiter _limiter;
    private KernelClient? _client;
    private IDisposable? _subscription;
    private Action? _unsubscribeDrops;
    private long _lastActivityTicks;
    private string _executionState = ExecutionStates.Starting;
    private volatile string? _lifecycleReason;

    public KernelChannels(string kernelId, ChannelOptions options, TimeProvider time, ILogger logger, IEnumerable<IExecuteAdmission>? admissions = null)
    {
        _admissions = [.. admissions ?? []];
        KernelId = kernelId;
        _options = options;
        _time = time;
        _logger = logger;
        _limiter = new OutputLimiter(options, time);
        _lastActivityTicks = time.GetUtcNow().UtcTicks;
    }

    public string KernelId { get; }

    /// <summary>
    /// The last execution_state the kernel published (for a request it was sent), or restarting/dead from the lifecycle:
    /// the kernel's claim, for display only (see <see cref="IExecutionObserver.IsBusy"/> for the gateway's own view).
    /// </summary>
    public string ExecutionState => Volatile.Read(ref _executionState);

    /// <summary>The last request from a client (polls excepted): kernel output is not client activity.</summary>
    public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivityTicks), TimeSpan.Zero);

    /// <summary>Sets the culling clock of a kernel taken back after a gateway restart to what was recorded for it.</summary>
    public void RestoreLastActivity(DateTimeOffset lastActivity) => Interlocked.Exchange(ref _lastActivityTicks, lastActivity.UtcTicks);

    /// <summary>Open sockets (the Kernel model's <c>connections</c>).</summary>
    public int Connections => _sessions.Values.Count(s => s.IsAttached);

    /// <summary>Execution limits, metrics and audit of this kernel's cells (set by the registry; none in unit tests).</summary>
    public IExecutionObserver? Executions { get; set; }

    /// <summary>Output messages dropped by the limiter since the last bind.</summary>
    public long DroppedOutputs => _limiter.Dropped;

    /// <summary>Switches to a (new) run's client: called after start and after every restart.</summary>
    public void Bind(KernelClient client)
    {
        lock (_bindLock)
        {
            _subscription?.Dispose();
            _unsubscribeDrops?.Invoke();
            _client = client;
            _limiter = new OutputLimiter(_options, _time);
            _subscription = client.SubscribeIOPub(message => OnIOPub(client, message));
            client.MessageDropped += OnDropped;
            client.Unmatched += OnUnmatched;
            _unsubscribeDrops = () =>
            {
                client.MessageDropped -= OnDropped;
                client.Unmatched -= OnUnmatched;
            };
            // A bound client's kernel has answered kernel_info: it is idle until it says otherwise.
            Volatile.Write(ref _executionState, ExecutionStates.Idle);
        }
    }

    /// <summary>Stops forwarding from the current run (it died or is being replaced).</summary>
    public void Unbind()
    {
        lock (_bindLock)
        {
            _subscription?.Dispose();
            _subscription = null;
            _unsubscribeDrops?.Invoke();
            _unsubscribeDrops = null;
            _client = null;
        }
    }

    /// <summary>
    /// Tells every client the kernel's state (restarting, dead) with a status message that has no parent, then answers
    /// the executes that run left unfinished.
    /// </summary>
    /// <param name="reason">Why the kernel died, for the cut-off replies (null for a restart).</param>
    public void PublishLifecycleStatus(string state, string? reason = null)
    {
        JupyterMessage status = GatewayMessages.LifecycleStatus(KernelId, state, _time);
        // Under the lock (enqueueing never blocks): a reply answered by AnswerUnfinished once it sees the new state
        // cannot overtake the status that explains it.
        lock (_bindLock)
        {
            Volatile.Write(ref _executionState, state);
            _lifecycleReason = reason;
            Broadcast(new ChannelMessage(status, MessageChannel.IOPub));
            foreach ((ClientSession session, JupyterMessage request) in _unanswered)
            {
                session.Enqueue(new ChannelMessage(GatewayMessages.CutOffReply(request, state, reason, _time), MessageChannel.Shell));
            }
            _unanswered.Clear();
        }
    }

    /// <summary>A stderr notice (no parent) to every client, e.g. why the gateway is about to shut the kernel down.</summary>
    public void PublishNotice(string text) => PublishCellNotice(ReadOnlyMemory<byte>.Empty, text);

    /// <summary>A stderr notice to every client in the cell whose request header is <paramref name="parentHeaderJson"/>.</summary>
    public void PublishCellNotice(ReadOnlyMemory<byte> parentHeaderJson, string text) =>
        Broadcast(new ChannelMessage(GatewayMessages.Stderr(parentHeaderJson, KernelId, text, _time), MessageChannel.IOPub));

    /// <summary>Attaches a transport to its client session (created on first use); an older transport of the same session is closed.</summary>
    public async Task<ClientSession> AttachAsync(string sessionId, IClientConnection connection)
    {
        ClientSession session = GetOrAddSession(sessionId);
        IClientConnection? replaced = session.Attach(connection);
        if (replaced is not null && !ReferenceEquals(replaced, connection))
        {
            Log.ConnectionReplaced(_logger, KernelId, sessionId);
            await replaced.CloseAsync("replaced by a newer connection with the same session_id").ConfigureAwait(false);
        }
        return session;
    }

    /// <summary>The client session with this id (created detached, buffering, on first use): lets a request arrive before its transport attaches.</summary>
    public ClientSession GetOrAddSession(string sessionId)
    {
        RemoveExpiredSessions();
        return _sessions.GetOrAdd(sessionId, id => new ClientSession(id, _options.OfflineBufferMessages, _options.OfflineBufferBytes, _time));
    }

    public void Detach(ClientSession session, IClientConnection connection) => session.Detach(connection, _time.GetUtcNow());

    /// <summary>Relays one client message to the kernel; the reply and any input_request come back to this session only.</summary>
    public async Task SendFromClientAsync(ClientSession session, JupyterMessage message, MessageChannel channel, CancellationToken cancellationToken)
    {
        KernelClient? client = Volatile.Read(ref _client);
        if (client is null)
        {
            Log.DroppedWhileNotRunning(_logger, KernelId, message.MsgType);
            return;
        }
        if (message.MsgType is not (MessageTypes.KernelInfoRequest or MessageTypes.CommInfoRequest))
        {
            Touch(); // polling does not count as activity
        }
        // Refused by an admission check or the execution limits: the cell ends with the reason, the socket stays open.
        ExecutionRefusal? refusal = message.MsgType == MessageTypes.ExecuteRequest ? Admit(message) : null;
        if (refusal is not null)
        {
            foreach (JupyterMessage iopub in refusal.IOPub)
            {
                Broadcast(new ChannelMessage(iopub, MessageChannel.IOPub));
            }
            session.Enqueue(new ChannelMessage(refusal.Reply, channel));
            return;
        }
        bool expectsReply = channel is MessageChannel.Shell or MessageChannel.Control
            && message.MsgType.EndsWith("_request", StringComparison.Ordinal);
        if (!expectsReply)
        {
            try
            {
                await client.SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                Log.DroppedWhileNotRunning(_logger, KernelId, message.MsgType); // the run ended meanwhile
            }
            return;
        }
        // Failures (a reused msg_id, a kernel that died) end up in ForwardReplyAsync: they never break the socket.
        _ = ForwardReplyAsync(client, message, client.RequestAsync(message, channel, new StdinToSession(session), CancellationToken.None), session, channel);
    }

    /// <summary>The admission checks in order, then the execution limits; the first refusal answers the cell.</summary>
    private ExecutionRefusal? Admit(JupyterMessage request)
    {
        foreach (IExecuteAdmission admission in _admissions)
        {
            if (admission.Check(request) is { } refusal)
            {
                Executions?.OnRefused(request, admission.Limit, refusal.Rule);
                return refusal;
            }
        }
        return Executions?.Admit(request);
    }

    /// <summary>Closes every transport (kernel deleted) and forgets all sessions.</summary>
    public async Task CloseAllAsync(string reason)
    {
        Unbind();
        lock (_bindLock)
        {
            _unanswered.Clear();
        }
        foreach (ClientSession session in _sessions.Values)
        {
            if (session.Current is { } connection)
            {
                await connection.CloseAsync(reason).ConfigureAwait(false);
            }
            session.Complete();
        }
        _sessions.Clear();
    }

    private async Task ForwardReplyAsync(KernelClient run, JupyterMessage request, Task<JupyterMessage> reply, ClientSession session, MessageChannel channel)
    {
        try
        {
            JupyterMessage answer = await reply.ConfigureAwait(false);
            Executions?.OnReply(answer);
            if (answer.MsgType == MessageTypes.ExecuteReply)
            {
                _limiter.OnCellEnded(request.MsgId); // the gateway's end of the cell, not the kernel's idle status
            }
            session.Enqueue(new ChannelMessage(answer, channel));
        }
        catch (Exception ex) when (ex is KernelDiedException or ObjectDisposedException or OperationCanceledException)
        {
            // The kernel died or was replaced: clients learn that from the lifecycle status, and an execute's sender
            // also gets an error reply, so a client waiting for it (jupyter_client, nbclient) does not wait forever.
            if (request.MsgType == MessageTypes.ExecuteRequest)
            {
                AnswerUnfinished(run, session, request);
            }
        }
        catch (InvalidOperationException ex)
        {
            if (request.MsgType == MessageTypes.ExecuteRequest)
            {
                Executions?.OnWithdrawn(request); // a reused msg_id: the kernel never got it, so no clock may run for it
            }
            Log.RequestRefused(_logger, KernelId, ex.Message);
        }
        catch (Exception ex)
        {
            // Nobody awaits this task: a failure here (an observer's) is logged, never lost.
            Log.ReplyForwardFailed(_logger, KernelId, request.MsgType, ex);
        }
    }

    /// <summary>
    /// Answers an execute that <paramref name="run"/> left unfinished once the lifecycle has said why: the end of a run may
    /// be seen here before the restarting or dead status, or after the next run is already bound.
    /// </summary>
    private void AnswerUnfinished(KernelClient run, ClientSession session, JupyterMessage request)
    {
        string state;
        lock (_bindLock)
        {
            state = ExecutionState;
            if (_client is not null && !ReferenceEquals(_client, run))
            {
                state = ExecutionStates.Restarting; // a newer run is bound: this one was replaced
            }
            else if (state is not (ExecutionStates.Restarting or ExecutionStates.Dead))
            {
                _unanswered.Add((session, request));
                return;
            }
        }
        session.Enqueue(new ChannelMessage(GatewayMessages.CutOffReply(request, state, _lifecycleReason, _time), MessageChannel.Shell));
    }

    private void OnIOPub(KernelClient run, JupyterMessage message)
    {
        // Every parent the kernel names is checked against what this gateway sent it: code in the kernel holds the key.
        bool knownParent = message.ParentMsgId is { } parent && run.HasSent(parent);
        if (message.MsgType == MessageTypes.Status)
        {
            if (message.ParentMsgId is not null && !knownParent)
            {
                Executions?.OnForged(message.MsgType, message.ParentMsgId); // a status for a request nobody sent
                return;
            }
            // Shown to clients and in the API as the kernel's own claim; no clock, limit or culling decision reads it.
            if (message.GetContentString("execution_state") is { } state)
            {
                Volatile.Write(ref _executionState, state);
            }
        }
        if (!_limiter.ShouldForward(message, knownParent, out JupyterMessage? notice))
        {
            if (notice is not null)
            {
                Log.OutputLimited(_logger, KernelId, message.ParentMsgId);
                Executions?.OnOutputLimited();
                Broadcast(new ChannelMessage(notice, MessageChannel.IOPub));
            }
            return;
        }
        Broadcast(new ChannelMessage(message, MessageChannel.IOPub));
    }

    /// <summary>A reply or stdin message for a request that was not waiting for one: dropped by the client, counted here.</summary>
    private void OnUnmatched(MessageChannel channel, JupyterMessage message) => Executions?.OnForged(message.MsgType, message.ParentMsgId);

    /// <summary>An oversize message from the kernel was dropped: say so in the cell it belonged to.</summary>
    private void OnDropped(DroppedMessage dropped)
    {
        if (dropped.Error != Jupyter.Wire.WireError.Oversize || dropped.Channel != MessageChannel.IOPub)
        {
            return; // forged or malformed traffic is a security event for the logs, not cell output
        }
        string text = $"[output dropped: the kernel sent a message of {dropped.Bytes / (1 << 20)} MiB, above the limit; make the output smaller]\n";
        Broadcast(new ChannelMessage(GatewayMessages.Stderr(dropped.ParentHeaderJson, KernelId, text, _time), MessageChannel.IOPub));
    }

    private void Broadcast(ChannelMessage message)
    {
        foreach (ClientSession session in _sessions.Values)
        {
            session.Enqueue(message);
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivityTicks, _time.GetUtcNow().UtcTicks);

    private void RemoveExpiredSessions()
    {
        DateTimeOffset cutoff = _time.GetUtcNow() - TimeSpan.FromSeconds(_options.OfflineBufferSeconds);
        foreach (ClientSession session in _sessions.Values)
        {
            if (!session.IsAttached && session.DetachedSince < cutoff && _sessions.TryRemove(session.SessionId, out _))
            {
                session.Complete();
            }
        }
    }

    /// <summary>Routes a request's input_request to the session that sent the request.</summary>
    private sealed class StdinToSession(ClientSession session) : IRequestObserver
    {
        public void OnIOPub(JupyterMessage message)
        {
            // iopub reaches every session through the fan-out.
        }

        public void OnStdin(JupyterMessage message)
        {
            if (message.MsgType == MessageTypes.InputRequest)
            {
                session.SetPendingInputRequest(message); // the parent of the client's input_reply, whatever its transport
            }
            session.Enqueue(new ChannelMessage(message, MessageChannel.Stdin));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Kernel `{KernelId}`: a new connection replaced session `{SessionId}`")]
        public static partial void ConnectionReplaced(ILogger logger, string kernelId, string sessionId);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Kernel `{KernelId}` is not running; dropped `{MsgType}` from a client")]
        public static partial void DroppedWhileNotRunning(ILogger logger, string kernelId, string msgType);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Kernel `{KernelId}`: request refused: {Reason}")]
        public static partial void RequestRefused(ILogger logger, string kernelId, string reason);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Kernel `{KernelId}`: output of cell `{ParentId}` limited")]
        public static partial void OutputLimited(ILogger logger, string kernelId, string? parentId);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Kernel `{KernelId}`: forwarding the reply to a `{MsgType}` failed")]
        public static partial void ReplyForwardFailed(ILogger logger, string kernelId, string msgType, Exception exception);
    }
}
