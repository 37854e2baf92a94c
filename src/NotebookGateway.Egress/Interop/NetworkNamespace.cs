using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace NotebookGateway.Egress.Interop;

/// <summary>
/// Makes a socket inside another network namespace (a container's) with setns(2). A socket keeps the namespace it
/// was made in, so the gateway can then accept on it like on any other while the container's programs reach it on
/// their own loopback. setns changes only the calling thread, so the work runs on a thread of its own that ends right
/// after: no other code of the gateway ever runs in the container's namespace.
/// </summary>
internal static partial class NetworkNamespace
{
    private const int CLONE_NEWNET = 0x40000000;
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int namespaceType);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    /// <summary>Runs <paramref name="create"/> in the network namespace at <paramref name="namespacePath"/>.</summary>
    /// <exception cref="IOException">The namespace could not be opened or joined (e.g. not a network namespace).</exception>
    public static Task<Socket> CreateSocketInAsync(string namespacePath, Func<Socket> create)
    {
        var result = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Join(namespacePath);
                result.SetResult(create());
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "nbgw-netns",
        };
        thread.Start();
        return result.Task;
    }

    // The path comes from the engine or /proc (a magic link, hence no O_NOFOLLOW); setns checks it is a network namespace.
    private static void Join(string namespacePath)
    {
        var fd = Open(namespacePath, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"opening the network namespace {namespacePath} failed (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            // A stale /proc/<pid> path could name a reused pid; never open a listener in the gateway's own namespace.
            if (new FileInfo($"/proc/thread-self/fd/{fd}").LinkTarget == new FileInfo("/proc/thread-self/ns/net").LinkTarget)
            {
                throw new IOException($"{namespacePath} is the gateway's own network namespace");
            }

            if (SetNs(fd, CLONE_NEWNET) != 0)
            {
                throw new IOException($"joining the network namespace {namespacePath} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Splice.Close(fd);
        }
    }
}
