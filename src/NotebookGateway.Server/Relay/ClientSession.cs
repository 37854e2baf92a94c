using System.Threading.Channels;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// One client session (the websocket's <c>session_id</c>) on one kernel: an outbox, bounded by messages and by bytes
/// (oldest dropped first), that keeps filling while no socket is attached, so a reconnect with the same session_id
/// replays what it missed.
/// At most one connection drains it; a newer connection replaces (and closes) the older one.
/// </summary>
public sealed class ClientSession
{
    private readonly Channel<ChannelMessage> _outbox;
    private readonly Lock _lock = new();
    private readonly long _byteCapacity;
    private long _bytes;
    private IClientConnection? _connection;
    private Jupyter.Envelope.JupyterMessage? _pendingInputRequest;

    public ClientSession(string sessionId, int capacity, long byteCapacity, TimeProvider time)
    {
        SessionId = sessionId;
        _byteCapacity = byteCapacity;
        _outbox = Channel.CreateBounded<ChannelMessage>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = false, // Enqueue also takes the oldest out when the bytes are over
                AllowSynchronousContinuations = false,
            },
            dropped => Interlocked.Add(ref _bytes, -dropped.Bytes));
        DetachedSince = time.GetUtcNow();
    }

    public string SessionId { get; }

    /// <summary>Bytes of the messages waiting in the outbox.</summary>
    public long PendingBytes => Interlocked.Read(ref _bytes);

    /// <summary>Waits until a message is waiting (false once the session is complete).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _outbox.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Takes the oldest waiting message.</summary>
    public bool TryRead([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ChannelMessage? message)
    {
        if (!_outbox.Reader.TryRead(out message))
        {
            return false;
        }
        Interlocked.Add(ref _bytes, -message.Bytes);
        return true;
    }

    public bool IsAttached
    {
        get
        {
            lock (_lock)
            {
                return _connection is not null;
            }
        }
    }

    public DateTimeOffset DetachedSince { get; private set; }

    public void Enqueue(ChannelMessage message)
    {
        Interlocked.Add(ref _bytes, message.Bytes);
        if (!_outbox.Writer.TryWrite(message))
        {
            Interlocked.Add(ref _bytes, -message.Bytes); // completed: the session is gone
            return;
        }
        // Over the bytes: the oldest go, but never the message just written.
        while (Interlocked.Read(ref _bytes) > _byteCapacity && _outbox.Reader.Count > 1 && TryRead(out _))
        {
        }
    }

    /// <summary>Attaches a connection; returns the one it replaces (to be closed by the caller).</summary>
    public IClientConnection? Attach(IClientConnection connection)
    {
        lock (_lock)
        {
            IClientConnection? previous = _connection;
            _connection = connection;
            return previous;
        }
    }

    /// <summary>Detaches the connection if it is still the current one.</summary>
    public bool Detach(IClientConnection connection, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_connection, connection))
            {
                return false;
            }
            _connection = null;
            DetachedSince = now;
            return true;
        }
    }

    public IClientConnection? Current
    {
        get
        {
            lock (_lock)
            {
                return _connection;
            }
        }
    }

    public void Complete() => _outbox.Writer.TryComplete();

    /// <summary>The last input_request delivered to this session and not answered yet (the parent of the next input_reply).</summary>
    public Jupyter.Envelope.JupyterMessage? PendingInputRequest => Volatile.Read(ref _pendingInputRequest);

    public void SetPendingInputRequest(Jupyter.Envelope.JupyterMessage request) => Volatile.Write(ref _pendingInputRequest, request);

    /// <summary>Clears the pending input_request if it is still <paramref name="answered"/> (a newer one stays).</summary>
    public void ClearPendingInputRequest(Jupyter.Envelope.JupyterMessage answered) =>
        Interlocked.CompareExchange(ref _pendingInputRequest, null, answered);
}

/// <summary>A transport attached to a client session (a websocket, later a SignalR connection).</summary>
public interface IClientConnection
{
    /// <summary>Closes the transport, e.g. because another connection took over the session or the kernel is gone.</summary>
    Task CloseAsync(string reason);
}
