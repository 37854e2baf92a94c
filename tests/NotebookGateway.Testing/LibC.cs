using System.Runtime.InteropServices;

namespace NotebookGateway.Testing;

/// <summary>kill(2): .NET can only SIGKILL a child; the gateway is stopped the way an operator does, kernels are interrupted and killed the way Jupyter tools do.</summary>
public static partial class LibC
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
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
