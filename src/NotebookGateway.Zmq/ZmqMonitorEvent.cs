using System.Buffers.Binary;
using System.Text;

namespace NotebookGateway.Zmq;

/// <summary>Connection events a socket monitor reports (ZMQ_EVENT_* in zmq.h).</summary>
[Flags]
public enum ZmqMonitorEvents
{
    None = 0,
    Connected = 0x0001,
    ConnectDelayed = 0x0002,
    ConnectRetried = 0x0004,
    Listening = 0x0008,
    BindFailed = 0x0010,
    Accepted = 0x0020,
    AcceptFailed = 0x0040,
    Closed = 0x0080,
    CloseFailed = 0x0100,
    Disconnected = 0x0200,
    MonitorStopped = 0x0400,
    HandshakeFailedNoDetail = 0x0800,
    HandshakeSucceeded = 0x1000,
    All = 0xFFFF,
}

/// <summary>One monitor event: its kind, value (fd, errno or interval) and the endpoint.</summary>
public readonly record struct ZmqMonitorEvent(ZmqMonitorEvents Event, int Value, string Endpoint)
{
    /// <summary>Parses the two-frame monitor message: uint16 event + uint32 value, then the endpoint.</summary>
    public static bool TryParse(ZmqMessage message, out ZmqMonitorEvent result)
    {
        ArgumentNullException.ThrowIfNull(message);
        result = default;
        if (message.Count < 2 || message[0].Length < 6)
        {
            return false;
        }
        ReadOnlySpan<byte> head = message[0].Span;
        result = new ZmqMonitorEvent(
            (ZmqMonitorEvents)BinaryPrimitives.ReadUInt16LittleEndian(head),
            BinaryPrimitives.ReadInt32LittleEndian(head[2..]),
            Encoding.UTF8.GetString(message[1].Span));
        return true;
    }
}
