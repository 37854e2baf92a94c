using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NotebookGateway.Zmq.Handles;
using NotebookGateway.Zmq.Interop;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Zmq;

/// <summary>
/// An async libzmq socket. Every method may be called from any thread: each posts a command to the
/// owning reactor, which is the only thread that touches the native socket. Received messages wait in
/// a bounded queue; a cancelled receive never takes a message from it, and a cancelled send is either
/// not sent at all or reported as sent.
/// </summary>
public sealed partial class ZmqSocket : IAsyncDisposable
{
    private readonly ZmqSocketHandle _handle;
    private readonly Channel<ZmqMessage> _received;
    private readonly Queue<PendingSend> _sendQueue = new();
    private readonly long _receiveQueueBytes;
    private long _queuedBytes;
    private ZmqMessage? _stash;
    private int _receivePaused;
    private int _disposeRequested;
    private Exception? _closeReason;

    internal ZmqSocket(ZmqReactor reactor, ZmqSocketHandle handle, ZmqSocketType type, ZmqSocketOptions options)
    {
        Reactor = reactor;
        _handle = handle;
        Type = type;
        try
        {
            _handle.Apply(options);
            Fd = _handle.GetInt32(LibZmq.ZMQ_FD);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        _receiveQueueBytes = options.ReceiveQueueBytes;
        _received = Channel.CreateBounded<ZmqMessage>(new BoundedChannelOptions(Math.Max(1, options.ReceiveQueueCapacity))
        {
            SingleWriter = true,
            AllowSynchronousContinuations = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ZmqReactor Reactor { get; }

    public ZmqSocketType Type { get; }

    internal int Fd { get; }

    internal ulong Token { get; set; }

    internal bool InReadyList { get; set; }

    internal bool IsClosed { get; private set; }

    /// <summary>Messages received and not yet read.</summary>
    public int PendingReceiveCount => _received.Reader.Count;

    /// <summary>Bytes of the messages received and not yet read.</summary>
    public long PendingReceiveBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Binds and returns the resolved endpoint (useful with <c>tcp://127.0.0.1:*</c>).</summary>
    public Task<string> BindAsync(string endpoint) => OnReactor(() =>
    {
        ZmqSocketCalls.Check(LibZmq.Bind(_handle.Raw, endpoint), "zmq_bind " + endpoint);
        return _handle.GetString(LibZmq.ZMQ_LAST_ENDPOINT);
    });

    public Task ConnectAsync(string endpoint) =>
        OnReactor(() => ZmqSocketCalls.Check(LibZmq.Connect(_handle.Raw, endpoint), "zmq_connect " + endpoint));

    public Task DisconnectAsync(string endpoint) =>
        OnReactor(() => ZmqSocketCalls.Check(LibZmq.Disconnect(_handle.Raw, endpoint), "zmq_disconnect " + endpoint));

    public Task SubscribeAsync(ReadOnlyMemory<byte> prefix) =>
        OnReactor(() => _handle.SetBytes((int)ZmqOption.Subscribe, prefix.Span));

    public Task UnsubscribeAsync(ReadOnlyMemory<byte> prefix) =>
        OnReactor(() => _handle.SetBytes((int)ZmqOption.Unsubscribe, prefix.Span));

    /// <summary>
    /// Starts libzmq's socket monitor for <paramref name="events"/> and returns the PAIR socket that
    /// receives them (read them with <see cref="ZmqMonitorEvent.TryParse"/>). Dispose the PAIR and call
    /// <see cref="StopMonitorAsync"/> when done: a monitor costs two sockets.
    /// </summary>
    public async Task<ZmqSocket> MonitorAsync(ZmqMonitorEvents events)
    {
        string endpoint = $"inproc://nbgw-monitor-{Guid.NewGuid():N}";
        await OnReactor(() => ZmqSocketCalls.Check(LibZmq.SocketMonitor(_handle.Raw, endpoint, (int)events), "zmq_socket_monitor")).ConfigureAwait(false);
        ZmqSocket pair = Reactor.CreateSocket(ZmqSocketType.Pair);
        try
        {
            await pair.ConnectAsync(endpoint).ConfigureAwait(false);
        }
        catch
        {
            await pair.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return pair;
    }

    public Task StopMonitorAsync() =>
        OnReactor(() => ZmqSocketCalls.Check(LibZmq.SocketMonitor(_handle.Raw, null, 0), "zmq_socket_monitor"));

    /// <summary>Reads an integer option (for diagnostics and tests).</summary>
    public Task<long> GetOptionAsync(ZmqOption option) => OnReactor(() => option == ZmqOption.MaxMessageSize
        ? _handle.GetInt64((int)option)
        : _handle.GetInt32((int)option));

    /// <summary>
    /// Queues a whole multipart message. All its frames go out in one reactor turn, so concurrent
    /// senders never interleave. Completes when libzmq has accepted the message.
    /// </summary>
    public Task SendAsync(ZmqMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }
        if (Volatile.Read(ref _disposeRequested) != 0)
        {
            return Task.FromException(new ObjectDisposedException(nameof(ZmqSocket)));
        }
        var pending = new PendingSend(this, message, cancellationToken);
        Reactor.Post(pending);
        return pending.Task;
    }

    /// <summary>Closes the socket on its reactor (linger 0). Pending sends fail; queued messages can still be read.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeRequested, 1) != 0)
        {
            return;
        }
        try
        {
            await OnReactor(() => CloseOnReactor(new ObjectDisposedException(nameof(ZmqSocket)))).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The reactor already stopped, and closed this socket as it did.
        }
    }

    internal void EnqueueSend(PendingSend pending)
    {
        if (IsClosed)
        {
            pending.Fail(_closeReason ?? new ObjectDisposedException(nameof(ZmqSocket)));
            return;
        }
        _sendQueue.Enqueue(pending);
        Reactor.MarkReady(this);
    }

    /// <summary>Reactor thread: moves messages both ways until nothing is left or the budget is spent.</summary>
    /// <returns>True when the socket may still have work (budget exhausted).</returns>
    internal bool Process(int budget)
    {
        try
        {
            for (int i = 0; i < budget; i++)
            {
                int events = _handle.GetInt32(LibZmq.ZMQ_EVENTS);
                bool progressed = false;
                if ((events & LibZmq.ZMQ_POLLIN) != 0 && _stash is null)
                {
                    ZmqMessage? message = ReceiveMultipart();
                    if (message is not null)
                    {
                        progressed = true;
                        if (!TryDeliver(message))
                        {
                            _stash = message;
                        }
                    }
                }
                if ((events & LibZmq.ZMQ_POLLOUT) != 0 && _sendQueue.Count > 0)
                {
                    progressed |= SendOne();
                }
                if (!progressed)
                {
                    return false;
                }
            }
            return true;
        }
        catch (ZmqException ex) when (ex.Error == ZmqError.Terminated)
        {
            CloseOnReactor(ex);
            return false;
        }
    }

    /// <summary>Reactor thread (or a dead reactor's cleanup): closes the native socket and fails waiters.</summary>
    internal bool CloseOnReactor(Exception reason)
    {
        if (IsClosed)
        {
            return false;
        }
        IsClosed = true;
        _closeReason = reason;
        Reactor.Unregister(this);
        _handle.Dispose();
        while (_sendQueue.TryDequeue(out PendingSend? pending))
        {
            pending.Fail(reason);
        }
        _received.Writer.TryComplete();
        return true;
    }

    private unsafe bool SendOne()
    {
        PendingSend pending = _sendQueue.Peek();
        if (!pending.TryClaim())
        {
            _sendQueue.Dequeue(); // cancelled while queued: never sent
            return true;
        }
        IReadOnlyList<ReadOnlyMemory<byte>> frames = pending.Message.Frames;
        for (int i = 0; i < frames.Count; i++)
        {
            int flags = LibZmq.ZMQ_DONTWAIT | (i < frames.Count - 1 ? LibZmq.ZMQ_SNDMORE : 0);
            int rc;
            int errno;
            do
            {
                fixed (byte* data = frames[i].Span)
                {
                    rc = LibZmq.Send(_handle.Raw, data, (nuint)frames[i].Length, flags);
                }
                errno = rc == -1 ? LibZmq.Errno() : 0;
            }
            while (rc == -1 && errno == LibC.EINTR);
            if (rc == -1)
            {
                if (i == 0 && errno == LibC.EAGAIN)
                {
                    pending.Release(); // high-water mark: wait for POLLOUT
                    return false;
                }
                _sendQueue.Dequeue();
                pending.Fail(new ZmqException("zmq_send", errno));
                return true;
            }
        }
        _sendQueue.Dequeue();
        pending.Complete();
        return true;
    }

    private unsafe ZmqMessage? ReceiveMultipart()
    {
        List<ReadOnlyMemory<byte>>? frames = null;
        LibZmq.ZmqMsg msg;
        while (true)
        {
            _ = LibZmq.MsgInit(&msg);
            int rc = LibZmq.MsgRecv(&msg, _handle.Raw, LibZmq.ZMQ_DONTWAIT);
            if (rc == -1)
            {
                int errno = LibZmq.Errno();
                _ = LibZmq.MsgClose(&msg);
                if (errno == LibC.EINTR)
                {
                    continue;
                }
                if (errno == LibC.EAGAIN && frames is null)
                {
                    return null;
                }
                throw new ZmqException("zmq_msg_recv", errno);
            }
            byte[] frame = rc == 0 ? [] : new ReadOnlySpan<byte>(LibZmq.MsgData(&msg), rc).ToArray();
            bool more = LibZmq.MsgMore(&msg) != 0;
            _ = LibZmq.MsgClose(&msg);
            (frames ??= new List<ReadOnlyMemory<byte>>(more ? 8 : 1)).Add(frame);
            if (!more)
            {
                return new ZmqMessage(frames, true);
            }
        }
    }

    private Task<T> OnReactor<T>(Func<T> action) => Reactor.InvokeAsync(() =>
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        T result = action();
        Reactor.MarkReady(this); // any zmq call may consume the fd's edge: look at the socket again
        return result;
    });

    private Task<bool> OnReactor(Action action) => OnReactor(() =>
    {
        action();
        return true;
    });

    public override string ToString() => $"{Type} {_handle}";
}
