using System.Runtime.InteropServices;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>kill(2): .NET can only SIGKILL a child, and the gateway must be stopped the way an operator does.</summary>
internal static partial class LibC
{
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    public static void Kill(int pid, int signal)
    {
        if (KillNative(pid, signal) != 0)
        {
            throw new IOException($"kill({pid}, {signal}): errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
