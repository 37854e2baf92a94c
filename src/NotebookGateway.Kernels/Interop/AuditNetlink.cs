using System.Runtime.InteropServices;

namespace NotebookGateway.Kernels.Interop;

/// <summary>
/// A read-only subscriber of the kernel's audit records: a NETLINK_AUDIT socket joined to the AUDIT_NLGRP_READLOG
/// multicast group (root, CAP_AUDIT_READ). It receives a copy of every record without being the audit daemon, and
/// without the printk rate limit that thins out <c>/dev/kmsg</c> (which kept 11 of 30 records in a test here).
/// </summary>
internal static unsafe partial class AuditNetlink
{
    private const string Library = "libc";
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkAudit = 9;
    private const uint AuditNlgrpReadlog = 1;
    private const int SolSocket = 1;
    private const int SoRcvbufForce = 33;
    private const int SoRcvtimeo = 20;
    public const int HeaderBytes = 16;

    /// <summary>An open subscriber; receives block at most <paramref name="receiveTimeout"/>.</summary>
    /// <exception cref="IOException">No audit support, or not allowed (the gateway must run as root).</exception>
    public static int Open(int receiveBufferBytes, TimeSpan receiveTimeout)
    {
        int fd = Socket(AfNetlink, SockRaw | SockCloexec, NetlinkAudit);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_NETLINK, NETLINK_AUDIT): {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }
        var address = new SockaddrNl { Family = AfNetlink, Groups = AuditNlgrpReadlog };
        var timeout = new TimeVal { Seconds = (long)receiveTimeout.TotalSeconds, Microseconds = receiveTimeout.Milliseconds * 1000L };
        if (Bind(fd, &address, (uint)sizeof(SockaddrNl)) != 0
            || SetSockOpt(fd, SolSocket, SoRcvbufForce, &receiveBufferBytes, sizeof(int)) != 0
            || SetSockOpt(fd, SolSocket, SoRcvtimeo, &timeout, (uint)sizeof(TimeVal)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LibC.Close(fd);
            throw new IOException($"joining the audit log's read-only group: {LibC.Describe(errno)}");
        }
        return fd;
    }

    /// <summary>Bytes received, 0 on timeout; negative errno otherwise (ENOBUFS: records were lost).</summary>
    public static int Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            nint received = Recv(fd, pointer, (nuint)buffer.Length, 0);
            if (received >= 0)
            {
                return (int)received;
            }
            int errno = Marshal.GetLastPInvokeError();
            return errno is 11 or 4 ? 0 : -errno; // EAGAIN (the timeout), EINTR
        }
    }

    public const int ENOBUFS = 105;

    public static void Close(int fd) => LibC.Close(fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrNl
    {
        public ushort Family;
        public ushort Padding;
        public uint Pid;
        public uint Groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, SockaddrNl* address, uint length);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);
}
