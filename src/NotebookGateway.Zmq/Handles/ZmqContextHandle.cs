using System.Runtime.InteropServices;
using NotebookGateway.Zmq.Interop;

namespace NotebookGateway.Zmq.Handles;

/// <summary>Owns a libzmq context. Socket handles AddRef it, so it is terminated only after every socket is closed.</summary>
internal sealed class ZmqContextHandle : SafeHandle
{
    public ZmqContextHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public static ZmqContextHandle Create()
    {
        var result = new ZmqContextHandle();
        IntPtr context = LibZmq.CtxNew();
        if (context == IntPtr.Zero)
        {
            throw ZmqException.FromLastError("zmq_ctx_new");
        }
        result.SetHandle(context);
        return result;
    }

    protected override bool ReleaseHandle()
    {
        // Every socket has been closed by now (they hold references), so this does not wait for linger.
        int rc;
        do
        {
            rc = LibZmq.CtxTerm(handle);
        }
        while (rc == -1 && LibZmq.Errno() == LibC.EINTR);
        return rc == 0;
    }

    public override string ToString() => $"zmq-context 0x{handle:x}";
}
