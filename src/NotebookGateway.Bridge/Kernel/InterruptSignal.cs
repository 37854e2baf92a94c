using System.Runtime.InteropServices;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// SIGINT is how a tool interrupts a kernel whose spec says <c>interrupt_mode: signal</c>, so the bridge must take it
/// whatever it inherited. A tool started in the background by a non-interactive shell (a service, <c>nohup</c>, CI)
/// passes SIGINT on as ignored, and .NET then never installs a handler for it (it keeps the disposition it found at
/// start), so the interrupt would be lost without a word. The fix has to happen before the runtime starts: the bridge
/// sets SIGINT back to its default and runs itself again, once. (ipykernel sets its own handler for the same reason.)
/// </summary>
public static partial class InterruptSignal
{
    private const int SigInt = 2;
    private const nint Default = 0; // SIG_DFL
    private const nint Ignore = 1;  // SIG_IGN

    /// <summary>Returns when SIGINT is not ignored; otherwise re-runs the process with it at its default (the re-run returns here).</summary>
    public static void EnsureHandled()
    {
        nint previous = SetDisposition(SigInt, Ignore);
        _ = SetDisposition(SigInt, previous);
        if (previous != Ignore || Environment.ProcessPath is not { } host)
        {
            return;
        }
        string[] args = Environment.GetCommandLineArgs();
        // `dotnet NotebookGateway.Bridge.dll …`: args[0] is the dll; an apphost: args[0] is the host itself.
        string?[] argv = Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? [host, .. args, null]
            : [host, .. args[1..], null];
        _ = SetDisposition(SigInt, Default);
        _ = Exec(host, argv);
        _ = SetDisposition(SigInt, Ignore); // exec failed: go on as before, with the interrupt by message only
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SetDisposition(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "execv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Exec(string path, string?[] argv);
}
