using System.Collections.Concurrent;
using NotebookGateway.Zmq.Handles;
using NotebookGateway.Zmq.Interop;

namespace NotebookGateway.Zmq.Reactor;

/// <summary>
/// One thread that owns a set of libzmq sockets. Every zmq call on those sockets runs here; other threads
/// post commands through a queue and wake the thread with an eventfd. Readiness comes from each socket's
/// edge-triggered ZMQ_FD in the reactor's epoll set, so after every operation the socket's ZMQ_EVENTS is
/// read again and the socket stays on the ready list until it has nothing left to do. Completions are
/// handed to the thread pool: no caller's continuation ever runs on this thread.
/// </summary>
public sealed class ZmqReactor : IAsyncDisposable
{
    /// <summary>Frames handled per socket per turn, so one busy socket cannot starve thousands of others.</summary>
    private const int BudgetPerTurn = 64;
    private const ulong WakeToken = 0;
    private const int MaxEvents = 256;

    private readonly ZmqContextHandle _context;
    private readonly ConcurrentQueue<ReactorCommand> _commands = new();
    private readonly Dictionary<ulong, ZmqSocket> _sockets = [];
    private readonly List<ZmqSocket> _ready = [];
    private readonly List<ZmqSocket> _readySwap = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly int _epoll;
    private readonly int _wake;
    private ulong _nextToken;
    private int _wakeSignalled;
    private int _socketCount;
    private bool _stopping;
    private volatile bool _terminated;
    private int _disposeRequested;

    internal ZmqReactor(ZmqContextHandle context, string name)
    {
        _context = context;
        _epoll = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new ZmqException("epoll_create1", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }
        _wake = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (_wake < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            _ = LibC.Close(_epoll);
            throw new ZmqException("eventfd", errno);
        }
        // The wake fd is level-triggered: it stays readable until the reactor reads it.
        AddToEpoll(_wake, WakeToken, LibC.EPOLLIN);
        Name = name;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        using (ExecutionContext.SuppressFlow())
        {
            _thread.Start();
        }
    }

    public string Name { get; }

    /// <summary>Sockets currently owned by this reactor.</summary>
    public int SocketCount => Volatile.Read(ref _socketCount);

    /// <summary>Completes when the reactor thread has closed its sockets and exited.</summary>
    public Task Completion => _stopped.Task;

    internal bool IsCurrentThread => Thread.CurrentThread == _thread;

    /// <summary>
    /// Creates a socket owned by this reactor. Options are applied here, before the socket has any
    /// endpoint and before the reactor takes it over (libzmq allows handing a socket to another thread
    /// through a full memory barrier, which the command queue provides).
    /// </summary>
    public ZmqSocket CreateSocket(ZmqSocketType type, ZmqSocketOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_terminated || Volatile.Read(ref _disposeRequested) != 0, this);
        var socket = new ZmqSocket(this, ZmqSocketHandle.Create(_context, type), type, options ?? new ZmqSocketOptions());
        Post(new RegisterCommand(socket));
        return socket;
    }

    /// <summary>Runs <paramref name="action"/> on the reactor thread.</summary>
    internal Task<T> InvokeAsync<T>(Func<T> action)
    {
        var command = new InvokeCommand<T>(action);
        Post(command);
        return command.Task;
    }

    internal unsafe void Post(ReactorCommand command)
    {
        _commands.Enqueue(command);
        if (_terminated)
        {
            // The reactor is gone: nothing will run this, so fail whatever is still queued.
            FailQueuedCommands();
            return;
        }
        if (Interlocked.Exchange(ref _wakeSignalled, 1) == 0)
        {
            ulong one = 1;
            _ = LibC.Write(_wake, &one, sizeof(ulong));
        }
    }

    /// <summary>Reactor thread: this socket may have work (an operation ran, or its fd fired).</summary>
    internal void MarkReady(ZmqSocket socket)
    {
        if (!socket.InReadyList && !socket.IsClosed)
        {
            socket.InReadyList = true;
            _ready.Add(socket);
        }
    }

    internal unsafe void Unregister(ZmqSocket socket)
    {
        if (_sockets.Remove(socket.Token))
        {
            _ = LibC.EpollCtl(_epoll, LibC.EPOLL_CTL_DEL, socket.Fd, null);
            Interlocked.Decrement(ref _socketCount);
        }
    }

    /// <summary>Closes every socket of this reactor and stops its thread.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeRequested, 1) == 0)
        {
            Post(new InvokeCommand<bool>(() => _stopping = true));
        }
        await _stopped.Task.ConfigureAwait(false);
    }

    internal void Register(ZmqSocket socket)
    {
        socket.Token = ++_nextToken;
        _sockets.Add(socket.Token, socket);
        Interlocked.Increment(ref _socketCount);
        AddToEpoll(socket.Fd, socket.Token, LibC.EPOLLIN | LibC.EPOLLET);
        MarkReady(socket);
    }

    private unsafe void AddToEpoll(int fd, ulong token, uint events)
    {
        var ev = new LibC.EpollEvent { Events = events, Data = token };
        if (LibC.EpollCtl(_epoll, LibC.EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            throw new ZmqException("epoll_ctl", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }
    }

    private unsafe void Run()
    {
        LibC.EpollEvent* events = stackalloc LibC.EpollEvent[MaxEvents];
        Exception? failure = null;
        try
        {
            while (!_stopping)
            {
                DrainCommands();
                ProcessReadySockets();
                int timeout = _ready.Count > 0 || !_commands.IsEmpty || _stopping ? 0 : -1;
                int count = LibC.EpollWait(_epoll, events, MaxEvents, timeout);
                if (count < 0)
                {
                    int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }
                    throw new ZmqException("epoll_wait", errno);
                }
                for (int i = 0; i < count; i++)
                {
                    ulong token = events[i].Data;
                    if (token == WakeToken)
                    {
                        ulong value;
                        _ = LibC.Read(_wake, &value, sizeof(ulong));
                        // Reset before the next drain, so a post after the drain writes the fd again.
                        Volatile.Write(ref _wakeSignalled, 0);
                    }
                    else if (_sockets.TryGetValue(token, out ZmqSocket? socket))
                    {
                        MarkReady(socket);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // A broken reactor must not leave callers waiting forever: everything it owns fails below.
            failure = ex;
        }
        Shutdown(failure);
    }

    private void DrainCommands()
    {
        // Bounded so that a flood of posts cannot starve socket processing.
        for (int i = 0; i < 4096 && _commands.TryDequeue(out ReactorCommand? command); i++)
        {
            command.Execute(this);
        }
    }

    private void ProcessReadySockets()
    {
        if (_ready.Count == 0)
        {
            return;
        }
        _readySwap.AddRange(_ready);
        _ready.Clear();
        foreach (ZmqSocket socket in _readySwap)
        {
            socket.InReadyList = false;
            if (!socket.IsClosed && socket.Process(BudgetPerTurn))
            {
                MarkReady(socket);
            }
        }
        _readySwap.Clear();
    }

    private void Shutdown(Exception? failure)
    {
        var error = failure is null
            ? new ObjectDisposedException(Name, "The ZeroMQ reactor has stopped.")
            : (Exception)new ZmqException("The ZeroMQ reactor failed; its sockets are closed.", failure);
        foreach (ZmqSocket socket in _sockets.Values.ToArray())
        {
            socket.CloseOnReactor(error);
        }
        _terminated = true;
        FailQueuedCommands();
        _ = LibC.Close(_wake);
        _ = LibC.Close(_epoll);
        _stopped.TrySetResult();
    }

    private void FailQueuedCommands()
    {
        var error = new ObjectDisposedException(Name, "The ZeroMQ reactor has stopped.");
        while (_commands.TryDequeue(out ReactorCommand? command))
        {
            command.Fail(error);
        }
    }
}
