using System.Globalization;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Where a kernel start's time goes, measured by the gateway: its own preparation (socket directory, connection file),
/// the engine's create and start, the interpreter's boot until its sockets appear, the ZeroMQ connect, and the
/// kernel_info round trip. Recorded in <c>kernel_start_phase_seconds{phase,kernel_name}</c> and the start's log line.
/// </summary>
internal sealed class StartPhases(TimeProvider time)
{
    public static readonly string[] Names = ["prepare", "create", "start", "boot", "connect", "kernel_info"];

    private readonly long _begin = time.GetTimestamp();
    private readonly double[] _seconds = new double[Names.Length];
    private long _last = -1;
    private int _next;

    /// <summary>The phase <see cref="Names"/>[next] ended now.</summary>
    public void End()
    {
        long now = time.GetTimestamp();
        _seconds[_next++] = time.GetElapsedTime(_last < 0 ? _begin : _last, now).TotalSeconds;
        _last = now;
    }

    public void Record(KernelMetrics metrics, string kernelName)
    {
        for (int i = 0; i < _next; i++)
        {
            metrics.StartPhase.Record(_seconds[i], new("phase", Names[i]), new("kernel_name", kernelName));
        }
    }

    public override string ToString() =>
        string.Join(", ", Enumerable.Range(0, _next).Select(i => string.Create(CultureInfo.InvariantCulture, $"{Names[i]} {_seconds[i] * 1000:0}")));
}
