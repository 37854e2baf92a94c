using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;

namespace NotebookGateway.Jupyter.Client;

/// <summary>How a kernel is interrupted, from its kernelspec's <c>interrupt_mode</c>.</summary>
public enum InterruptMode
{
    /// <summary>SIGINT to the kernel process (the spec's default).</summary>
    Signal,

    /// <summary><c>interrupt_request</c> on the control channel.</summary>
    Message,
}

/// <summary>Delivers a POSIX signal to a kernel process (a local pid, or a container through the engine).</summary>
public interface IKernelSignaler
{
    Task SignalAsync(int signal, CancellationToken cancellationToken);
}

public sealed record KernelClientOptions
{
    /// <summary>The client's session id, stamped on every request.</summary>
    public string Session { get; init; } = Guid.NewGuid().ToString("N");

    public string Username { get; init; } = "gateway";

    public bool EnableHeartbeat { get; init; } = true;

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>No heartbeat answer for this long: the kernel is reported dead (hung or gone).</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public InterruptMode InterruptMode { get; init; } = InterruptMode.Signal;

    public IKernelSignaler? Signaler { get; init; }

    public WireLimits Limits { get; init; } = new();

    /// <summary>Capacity of each channel's receive queue; when full, libzmq's high-water mark pushes back on the kernel.</summary>
    public int ReceiveQueueCapacity { get; init; } = 4096;

    /// <summary>Bytes each channel's receive queue may hold (0 = no byte bound); when full, as when its count is.</summary>
    public long ReceiveQueueBytes { get; init; }

    /// <summary>
    /// iopub messages read from the kernel per second at most (0 = no bound): a kernel publishing faster waits in its
    /// own socket (libzmq's high-water mark, where PUB drops), so a flood costs the gateway a bounded share of a core.
    /// </summary>
    public int IOPubReadMessagesPerSecond { get; init; }

    /// <summary>How long a finished request's observer waits for the kernel's idle status before it is dropped.</summary>
    public TimeSpan ObserverIdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Maps a channel to the endpoint to connect (the sandbox uses <c>/proc/self/fd/N</c> paths); null = from the connection file.</summary>
    public Func<MessageChannel, string>? EndpointResolver { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
