using System.Text;
using NotebookGateway.Zmq.Interop;

namespace NotebookGateway.Zmq.Handles;

/// <summary>
/// Socket options and error checks on a native socket. Reactor thread only: the socket that owns the handle calls
/// these from its commands.
/// </summary>
internal static class ZmqSocketCalls
{
    /// <summary>Sets what <paramref name="options"/> asks for on a new socket.</summary>
    public static void Apply(this ZmqSocketHandle handle, ZmqSocketOptions options)
    {
        handle.SetInt32((int)ZmqOption.Linger, (int)options.Linger.TotalMilliseconds);
        if (options.RoutingId is { } id)
        {
            handle.SetBytes((int)ZmqOption.RoutingId, id.Span);
        }
        if (options.MaxMessageSize is { } max)
        {
            handle.SetInt64((int)ZmqOption.MaxMessageSize, max);
        }
        handle.SetIfPresent(ZmqOption.SendHighWaterMark, options.SendHighWaterMark);
        handle.SetIfPresent(ZmqOption.ReceiveHighWaterMark, options.ReceiveHighWaterMark);
        handle.SetIfPresent(ZmqOption.ReconnectInterval, (int?)options.ReconnectInterval?.TotalMilliseconds);
        handle.SetIfPresent(ZmqOption.ReconnectIntervalMax, (int?)options.ReconnectIntervalMax?.TotalMilliseconds);
        handle.SetIfPresent(ZmqOption.IPv6, options.IPv6 is { } v6 ? (v6 ? 1 : 0) : null);
        handle.SetIfPresent(ZmqOption.Immediate, options.Immediate is { } im ? (im ? 1 : 0) : null);
        handle.SetIfPresent(ZmqOption.RouterMandatory, options.RouterMandatory is { } rm ? (rm ? 1 : 0) : null);
        if (options.RequestRelaxed == true)
        {
            handle.SetInt32((int)ZmqOption.RequestRelaxed, 1);
            handle.SetInt32((int)ZmqOption.RequestCorrelate, 1);
        }
        foreach (ReadOnlyMemory<byte> prefix in options.Subscriptions)
        {
            handle.SetBytes((int)ZmqOption.Subscribe, prefix.Span);
        }
    }

    private static void SetIfPresent(this ZmqSocketHandle handle, ZmqOption option, int? value)
    {
        if (value is { } v)
        {
            handle.SetInt32((int)option, v);
        }
    }

    public static unsafe void SetInt32(this ZmqSocketHandle handle, int option, int value) =>
        Check(LibZmq.SetSockOpt(handle.Raw, option, &value, sizeof(int)), "zmq_setsockopt " + option);

    public static unsafe void SetInt64(this ZmqSocketHandle handle, int option, long value) =>
        Check(LibZmq.SetSockOpt(handle.Raw, option, &value, sizeof(long)), "zmq_setsockopt " + option);

    public static unsafe void SetBytes(this ZmqSocketHandle handle, int option, ReadOnlySpan<byte> value)
    {
        fixed (byte* data = value)
        {
            Check(LibZmq.SetSockOpt(handle.Raw, option, data, (nuint)value.Length), "zmq_setsockopt " + option);
        }
    }

    public static unsafe int GetInt32(this ZmqSocketHandle handle, int option)
    {
        int value = 0;
        nuint size = sizeof(int);
        Check(LibZmq.GetSockOpt(handle.Raw, option, &value, &size), "zmq_getsockopt " + option);
        return value;
    }

    public static unsafe long GetInt64(this ZmqSocketHandle handle, int option)
    {
        long value = 0;
        nuint size = sizeof(long);
        Check(LibZmq.GetSockOpt(handle.Raw, option, &value, &size), "zmq_getsockopt " + option);
        return value;
    }

    public static unsafe string GetString(this ZmqSocketHandle handle, int option)
    {
        byte* buffer = stackalloc byte[1024];
        nuint size = 1024;
        Check(LibZmq.GetSockOpt(handle.Raw, option, buffer, &size), "zmq_getsockopt " + option);
        int length = (int)size;
        while (length > 0 && buffer[length - 1] == 0)
        {
            length--;
        }
        return Encoding.UTF8.GetString(buffer, length);
    }

    /// <summary>Throws the typed error of the call that just failed (rc -1).</summary>
    public static void Check(int rc, string operation)
    {
        if (rc == -1)
        {
            throw ZmqException.FromLastError(operation);
        }
    }
}
