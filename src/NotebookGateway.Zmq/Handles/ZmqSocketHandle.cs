using System.Runtime.InteropServices;
using NotebookGateway.Zmq.Interop;

namespace NotebookGateway.Zmq.Handles;

/// <summary>
/// Owns a libzmq socket and keeps its context alive. Calls go through the raw pointer on the owning
/// reactor thread, which is also the only thread that disposes the handle (except a finalizer, when the
/// socket is unreachable and so has no other user).
/// </summary>
internal sealed unsafe class ZmqSocketHandle : SafeHandle
{
    private ZmqContextHandle? _context;

    public ZmqSocketHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public IntPtr Raw => handle;

    public static ZmqSocketHandle Create(ZmqContextHandle context, ZmqSocketType type)
    {
        var result = new ZmqSocketHandle();
        bool added = false;
        context.DangerousAddRef(ref added);
        try
        {
            IntPtr socket = LibZmq.Socket(context.DangerousGetHandle(), (int)type);
            if (socket == IntPtr.Zero)
            {
                throw ZmqException.FromLastError("zmq_socket");
            }
            result.SetHandle(socket);
            result._context = context;
            added = false;
            return result;
        }
        finally
        {
            if (added)
            {
                context.DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle()
    {
        // Linger 0: never keep the context (and so the process) waiting for a peer that is gone.
        int linger = 0;
        _ = LibZmq.SetSockOpt(handle, LibZmq.ZMQ_LINGER, &linger, sizeof(int));
        int rc = LibZmq.Close(handle);
        _context?.DangerousRelease();
        _context = null;
        return rc == 0;
    }

    public override string ToString() => $"zmq-socket 0x{handle:x}";
}
