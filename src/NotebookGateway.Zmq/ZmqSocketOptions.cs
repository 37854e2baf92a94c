namespace NotebookGateway.Zmq;

/// <summary>
/// Options applied when a socket is created, before it has any endpoint (several of them, such as the
/// routing id and the high-water marks, only take effect for connections made afterwards).
/// Null means "libzmq's default".
/// </summary>
public sealed record ZmqSocketOptions
{
    /// <summary>How long pending outgoing messages survive a close. The binding defaults to 0: a gateway never waits for a dead peer.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.Zero;

    /// <summary>ZMQ_ROUTING_ID (formerly IDENTITY): the name a ROUTER peer sees for this socket.</summary>
    public ReadOnlyMemory<byte>? RoutingId { get; init; }

    /// <summary>Prefixes to subscribe to (SUB sockets). An empty prefix subscribes to everything.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Subscriptions { get; init; } = [];

    /// <summary>ZMQ_MAXMSGSIZE: a peer sending a larger message is disconnected. Null = unlimited.</summary>
    public long? MaxMessageSize { get; init; }

    public int? SendHighWaterMark { get; init; }

    public int? ReceiveHighWaterMark { get; init; }

    public TimeSpan? ReconnectInterval { get; init; }

    public TimeSpan? ReconnectIntervalMax { get; init; }

    public bool? IPv6 { get; init; }

    /// <summary>ZMQ_IMMEDIATE: queue messages only on completed connections.</summary>
    public bool? Immediate { get; init; }

    /// <summary>ZMQ_ROUTER_MANDATORY: fail sends to unknown routing ids instead of dropping them.</summary>
    public bool? RouterMandatory { get; init; }

    /// <summary>ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE: lets a REQ socket send again after an unanswered request.</summary>
    public bool? RequestRelaxed { get; init; }

    /// <summary>Capacity of the receive queue between the reactor and readers; when full the reactor stops reading and the high-water mark pushes back on the peer.</summary>
    public int ReceiveQueueCapacity { get; init; } = 4096;

    /// <summary>
    /// Bytes the receive queue may hold (0 = no byte bound): past it the reactor stops reading, as when the queue is
    /// full. A message arriving at an empty queue is always taken, whatever its size.
    /// </summary>
    public long ReceiveQueueBytes { get; init; }
}
