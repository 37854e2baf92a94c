using System.Globalization;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>How a container's exit code reads in a start failure or a death reason.</summary>
internal static class KernelExit
{
    public static string Describe(long exitCode) => exitCode switch
    {
        0 => "the kernel exited",
        > 128 and < 160 => string.Create(CultureInfo.InvariantCulture, $"the kernel was killed by signal {exitCode - 128} ({SignalName((int)(exitCode - 128))})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"the kernel exited with code {exitCode}"),
    };

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
    };
}
