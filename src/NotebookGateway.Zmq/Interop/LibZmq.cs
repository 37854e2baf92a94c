using System.Runtime.InteropServices;

namespace NotebookGateway.Zmq.Interop;

/// <summary>The libzmq 4.x C API, as much of it as the binding uses.</summary>
internal static unsafe partial class LibZmq
{
    static LibZmq() => Libraries.EnsureResolver();

    // Context options (zmq.h).
    public const int ZMQ_IO_THREADS = 1;
    public const int ZMQ_MAX_SOCKETS = 2;
    public const int ZMQ_SOCKET_LIMIT = 3;
    public const int ZMQ_BLOCKY = 70;

    // Socket options that are read back by the binding itself.
    public const int ZMQ_RCVMORE = 13;
    public const int ZMQ_FD = 14;
    public const int ZMQ_EVENTS = 15;
    public const int ZMQ_LINGER = 17;
    public const int ZMQ_LAST_ENDPOINT = 32;

    public const int ZMQ_POLLIN = 1;
    public const int ZMQ_POLLOUT = 2;

    public const int ZMQ_DONTWAIT = 1;
    public const int ZMQ_SNDMORE = 2;

    /// <summary>zmq_msg_t is an opaque 64-byte, pointer-aligned structure.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct ZmqMsg
    {
        private long _p0;
    }

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_version")]
    public static partial void Version(out int major, out int minor, out int patch);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_errno")]
    public static partial int Errno();

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_strerror")]
    public static partial IntPtr StrError(int errnum);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_ctx_new")]
    public static partial IntPtr CtxNew();

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_ctx_set")]
    public static partial int CtxSet(IntPtr context, int option, int value);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_ctx_get")]
    public static partial int CtxGet(IntPtr context, int option);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_ctx_shutdown")]
    public static partial int CtxShutdown(IntPtr context);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_ctx_term")]
    public static partial int CtxTerm(IntPtr context);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_socket")]
    public static partial IntPtr Socket(IntPtr context, int type);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_close")]
    public static partial int Close(IntPtr socket);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_setsockopt")]
    public static partial int SetSockOpt(IntPtr socket, int option, void* value, nuint length);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_getsockopt")]
    public static partial int GetSockOpt(IntPtr socket, int option, void* value, nuint* length);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_bind", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Bind(IntPtr socket, string endpoint);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_connect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Connect(IntPtr socket, string endpoint);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_disconnect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Disconnect(IntPtr socket, string endpoint);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_unbind", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unbind(IntPtr socket, string endpoint);

    /// <summary>Copies the buffer into a new message and queues it; the caller's memory is free on return.</summary>
    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_send")]
    public static partial int Send(IntPtr socket, void* buffer, nuint length, int flags);

    /// <summary>Publishes the socket's connection events on an inproc PAIR endpoint; a null endpoint stops it.</summary>
    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_socket_monitor", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SocketMonitor(IntPtr socket, string? endpoint, int events);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_msg_init")]
    public static partial int MsgInit(ZmqMsg* message);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_msg_recv")]
    public static partial int MsgRecv(ZmqMsg* message, IntPtr socket, int flags);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_msg_data")]
    public static partial void* MsgData(ZmqMsg* message);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_msg_size")]
    public static partial nuint MsgSize(ZmqMsg* message);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_msg_more")]
    public static partial int MsgMore(ZmqMsg* message);

    [LibraryImport(Libraries.LibZmq, EntryPoint = "zmq_msg_close")]
    public static partial int MsgClose(ZmqMsg* message);
}
