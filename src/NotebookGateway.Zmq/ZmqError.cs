namespace NotebookGateway.Zmq;

/// <summary>
/// The errno values libzmq reports that callers act on. Casting an arbitrary errno to this enum is
/// suspect: anything not listed is <see cref="Other"/> and the raw number is kept on the exception.
/// </summary>
public enum ZmqError
{
    Other = 0,
    Interrupted = 4,
    Again = 11,
    Invalid = 22,
    TooManyOpenFiles = 24,
    NoDevice = 19,
    AddressInUse = 98,
    AddressNotAvailable = 99,
    NotSocket = 88,
    ProtocolNotSupported = 93,
    HostUnreachable = 113,
    MessageTooLong = 90,
    NameTooLong = 36,
    NoEntry = 2,
    // libzmq's own numbers start at ZMQ_HAUSNUMERO (156384712).
    StateMachine = 156384712 + 51,
    IncompatibleProtocol = 156384712 + 52,
    Terminated = 156384712 + 53,
    NoIoThread = 156384712 + 54,
}
