namespace NotebookGateway.Zmq;

public sealed record ZmqContextOptions
{
    /// <summary>libzmq I/O threads (ZMQ_IO_THREADS).</summary>
    public int IoThreads { get; init; } = 1;

    /// <summary>ZMQ_MAX_SOCKETS; libzmq's default of 1023 is about 200 kernels. Clamped to ZMQ_SOCKET_LIMIT.</summary>
    public int MaxSockets { get; init; } = 32768;

    /// <summary>Reactor threads; sockets are spread over them by a caller-chosen key.</summary>
    public int ReactorCount { get; init; } = 1;

    /// <summary>Raise the process's soft open-file limit to its hard limit: every socket and connection is a file descriptor.</summary>
    public bool RaiseOpenFileLimit { get; init; } = true;

    /// <summary>How long disposal waits for zmq_ctx_term before giving up (it then leaks the context rather than hang).</summary>
    public TimeSpan TerminateTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
