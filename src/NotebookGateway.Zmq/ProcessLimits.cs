using NotebookGateway.Zmq.Interop;

namespace NotebookGateway.Zmq;

/// <summary>Process-wide limits that a gateway holding thousands of sockets needs raised.</summary>
public static unsafe class ProcessLimits
{
    /// <summary>Raises the soft RLIMIT_NOFILE to the hard limit and returns the new soft limit.</summary>
    public static ulong RaiseOpenFileLimit()
    {
        LibC.RLimit limit;
        if (LibC.GetRLimit(LibC.RLIMIT_NOFILE, &limit) != 0)
        {
            return 0;
        }
        if (limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            _ = LibC.SetRLimit(LibC.RLIMIT_NOFILE, &limit);
            _ = LibC.GetRLimit(LibC.RLIMIT_NOFILE, &limit);
        }
        return limit.Current;
    }
}
