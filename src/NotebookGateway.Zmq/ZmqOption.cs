namespace NotebookGateway.Zmq;

/// <summary>Socket options the binding knows (values from zmq.h).</summary>
public enum ZmqOption
{
    RoutingId = 5,
    Subscribe = 6,
    Unsubscribe = 7,
    Type = 16,
    Linger = 17,
    ReconnectInterval = 18,
    ReconnectIntervalMax = 21,
    MaxMessageSize = 22,
    SendHighWaterMark = 23,
    ReceiveHighWaterMark = 24,
    RouterMandatory = 33,
    Immediate = 39,
    IPv6 = 42,
    RequestCorrelate = 52,
    RequestRelaxed = 53,
}
