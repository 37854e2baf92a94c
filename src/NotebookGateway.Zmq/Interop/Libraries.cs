using System.Reflection;
using System.Runtime.InteropServices;

namespace NotebookGateway.Zmq.Interop;

/// <summary>Native library names, and the resolver that maps them to the files Debian ships.</summary>
internal static class Libraries
{
    public const string LibZmq = "libzmq";
    public const string LibC = "libc";

    private static int s_registered;

    /// <summary>
    /// Debian's libzmq5 installs only <c>libzmq.so.5</c> (the unversioned name comes with -dev), so the
    /// default probing would fail on a machine without headers.
    /// </summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(Libraries).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        string[] candidates = name switch
        {
            LibZmq => ["libzmq.so.5", "libzmq.so"],
            LibC => ["libc.so.6", "libc"],
            _ => [],
        };
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out IntPtr handle))
            {
                return handle;
            }
        }
        if (name == LibZmq)
        {
            throw new DllNotFoundException("libzmq.so.5 was not found. Install Debian's libzmq5: apt-get install libzmq5");
        }
        return IntPtr.Zero;
    }
}
