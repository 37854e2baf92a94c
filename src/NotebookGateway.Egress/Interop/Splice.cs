using System.Runtime.InteropServices;

namespace NotebookGateway.Egress.Interop;

/// <summary>libc's splice(2) and pipe2(2): bytes move socket → pipe → socket inside the kernel, never through the gateway's memory.</summary>
internal static unsafe partial class Splice
{
    public const uint SPLICE_F_MOVE = 1;
    public const uint SPLICE_F_NONBLOCK = 2;
    public const int O_CLOEXEC = 0x80000;
    public const int O_NONBLOCK = 0x800;
    public const int EAGAIN = 11;
    public const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    public static partial nint SpliceFd(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    public const int F_SETPIPE_SZ = 1031;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    /// <summary>
    /// A non-blocking pipe of about <paramref name="capacity"/> bytes (the kernel's default if it refuses), or null when
    /// none can be made (the caller copies through a buffer instead).
    /// </summary>
    public static (int Read, int Write)? TryCreatePipe(int capacity)
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        {
            return null;
        }

        _ = Fcntl(fds[1], F_SETPIPE_SZ, capacity);
        return (fds[0], fds[1]);
    }

    public static int LastError => Marshal.GetLastPInvokeError();
}
