using NotebookGateway.Zmq.Handles;
using NotebookGateway.Zmq.Interop;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Zmq;

/// <summary>
/// A libzmq context and the reactor threads that own its sockets. Disposal stops the reactors (which
/// close every socket with linger 0), then terminates the context off the caller's thread with a timeout.
/// </summary>
public sealed class ZmqContext : IAsyncDisposable
{
    private readonly ZmqContextHandle _handle;
    private readonly ZmqReactor[] _reactors;
    private readonly TimeSpan _terminateTimeout;
    private int _disposed;

    public ZmqContext(ZmqContextOptions? options = null)
    {
        options ??= new ZmqContextOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReactorCount, 1);
        if (options.RaiseOpenFileLimit)
        {
            ProcessLimits.RaiseOpenFileLimit();
        }
        _handle = ZmqContextHandle.Create();
        IntPtr raw = _handle.DangerousGetHandle();
        int limit = LibZmq.CtxGet(raw, LibZmq.ZMQ_SOCKET_LIMIT);
        MaxSockets = limit > 0 ? Math.Min(options.MaxSockets, limit) : options.MaxSockets;
        // Both must be set before the first socket exists.
        _ = LibZmq.CtxSet(raw, LibZmq.ZMQ_MAX_SOCKETS, MaxSockets);
        _ = LibZmq.CtxSet(raw, LibZmq.ZMQ_IO_THREADS, options.IoThreads);
        // Do not let zmq_ctx_term wait for unsent messages (the 4.x default is to block).
        _ = LibZmq.CtxSet(raw, LibZmq.ZMQ_BLOCKY, 0);
        _terminateTimeout = options.TerminateTimeout;
        _reactors = new ZmqReactor[options.ReactorCount];
        for (int i = 0; i < _reactors.Length; i++)
        {
            _reactors[i] = new ZmqReactor(_handle, $"zmq-reactor-{i}");
        }
    }

    /// <summary>The effective ZMQ_MAX_SOCKETS.</summary>
    public int MaxSockets { get; }

    /// <summary>The first reactor; enough for most uses.</summary>
    public ZmqReactor Reactor => _reactors[0];

    public IReadOnlyList<ZmqReactor> Reactors => _reactors;

    /// <summary>A reactor chosen by a stable key (e.g. a kernel id), so related sockets share one thread.</summary>
    public ZmqReactor GetReactor(int key) => _reactors[(int)((uint)key % (uint)_reactors.Length)];

    public ZmqSocket CreateSocket(ZmqSocketType type, ZmqSocketOptions? options = null) => Reactor.CreateSocket(type, options);

    /// <summary>The libzmq version loaded at run time.</summary>
    public static Version LibraryVersion
    {
        get
        {
            LibZmq.Version(out int major, out int minor, out int patch);
            return new Version(major, minor, patch);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (ZmqReactor reactor in _reactors)
        {
            await reactor.DisposeAsync().ConfigureAwait(false);
        }
        // zmq_ctx_term blocks; keep it off the thread pool and never wait forever.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var terminate = new Thread(() =>
        {
            _handle.Dispose();
            done.TrySetResult();
        })
        { IsBackground = true, Name = "zmq-ctx-term" };
        terminate.Start();
        try
        {
            await done.Task.WaitAsync(_terminateTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ZmqException($"zmq_ctx_term did not finish within {_terminateTimeout}; a socket was not closed.");
        }
    }
}
