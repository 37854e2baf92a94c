using System.Runtime.InteropServices;

namespace NotebookGateway.Testing;

/// <summary>
/// libc calls only tests need: kill(2) (.NET can only SIGKILL a child, and a gateway must be stopped the way an
/// operator does), and planting what a sandbox could plant (lchown, mkfifo, link).
/// </summary>
public static partial class TestLibC
{
    public const int SIGTERM = 15;

    public const int SIGKILL = 9;

    public const int SIGHUP = 1;

    public static void Kill(int pid, int signal)
    {
        if (KillNative(pid, signal) != 0)
        {
            throw new IOException($"kill({pid}, {signal}): errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Link(string existing, string newPath);

    public static void Chown(string path, uint uid)
    {
        if (LChown(path, uid, uid) != 0)
        {
            throw new IOException($"lchown {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);
}
