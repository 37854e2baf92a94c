using System.Runtime.InteropServices;
using NotebookGateway.Kernels.Interop;

namespace NotebookGateway.Kernels.Security;

/// <summary>An owned POSIX file descriptor (closed on dispose).</summary>
public sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number (valid while this object is not disposed).</summary>
    public int Value => handle.ToInt32();

    /// <summary>A path through which the kernel resolves to exactly this descriptor's inode, never to what a name points at now.</summary>
    public string ProcPath => $"/proc/self/fd/{Value}";

    protected override bool ReleaseHandle() => LibC.Close(handle.ToInt32()) == 0;
}
