using System.Runtime.InteropServices;

namespace NotebookGateway.Kernels.Tests.Support;

/// <summary>libc calls only tests need (planting what a sandbox could plant).</summary>
internal static partial class TestLibC
{
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
}
