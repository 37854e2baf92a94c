using System.Diagnostics.Metrics;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Server.Execution;

/// <summary>
/// Instruments of cell execution and of the running sandboxes (meter <see cref="MeterName"/>). Per-kernel gauges are
/// read from each kernel's container usage at scrape time; the exporter's series cap bounds their cardinality.
/// </summary>
public sealed class ExecutionMetrics : IDisposable
{
    public const string MeterName = "NotebookGateway.Execution";

    /// <summary>Cell durations from seconds to the default one-hour-ish wall clock.</summary>
    private static readonly double[] DurationBuckets = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600];

    private readonly Meter _meter;
    private Func<IEnumerable<IMeteredKernel>> _kernels = () => [];

    /// <param name="meterFactory">The host's (which owns the meter); a meter of its own without one (disposed with this).</param>
    public ExecutionMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Executions = _meter.CreateCounter<long>("executions", description: "Completed cell executions by outcome (ok, error, aborted, timeout, refused).");
        Duration = _meter.CreateHistogram<double>("execution_duration", unit: "s", description: "From the kernel going busy on a cell until its execute_reply.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        Timeouts = _meter.CreateCounter<long>("execution_timeouts", description: "Cells or kernels stopped by a limit (limit: wall_clock, cpu, background_cpu).");
        TimeoutRestarts = _meter.CreateCounter<long>("execution_timeout_restarts", description: "Kernels restarted because a stopped cell ignored the interrupt.");
        OutputTruncations = _meter.CreateCounter<long>("output_truncations", description: "Cells whose output was cut by the output byte cap or the iopub rate limit.");
        ForgedMessages = _meter.CreateCounter<long>("kernel_forged_messages",
            description: "Replies, input requests and statuses a kernel sent for requests that were not outstanding; dropped (msg_type).");
        _meter.CreateObservableGauge("kernels_running_by_user", ObserveRunning, description: "Running kernels by kernelspec and user.");
        _meter.CreateObservableGauge("sandbox_memory", ObserveMemory, unit: "By", description: "Memory charged to each running kernel's container cgroup.");
        _meter.CreateObservableCounter("sandbox_cpu", ObserveCpu, unit: "s", description: "CPU time used by each running kernel's current container.");
        _meter.CreateObservableGauge("sandbox_tasks", () => PerKernel(usage => usage.ReadTasks()),
            description: "Processes and threads in each running kernel's container (cgroup pids.current).");
        _meter.CreateObservableCounter("sandbox_oom_kills", () => PerKernel(usage => usage.ReadOomKills()),
            description: "Processes the OOM killer killed at each running kernel's memory limit.");
        _meter.CreateObservableCounter("sandbox_pids_limit_hits", ObservePidsLimitHits,
            description: "Process or thread creations refused at each running kernel's pids limit (fork bombs, runaway threads).");
    }

    public Counter<long> Executions { get; }

    public Histogram<double> Duration { get; }

    public Counter<long> Timeouts { get; }

    public Counter<long> TimeoutRestarts { get; }

    public Counter<long> OutputTruncations { get; }

    public Counter<long> ForgedMessages { get; }

    /// <summary>The counters with known label values at 0 (once the exporter listens), so an alert fires on the first.</summary>
    public void ExportZeros()
    {
        foreach (string limit in (string[])["wall_clock", "cpu", "background_cpu"])
        {
            Timeouts.Add(0, new KeyValuePair<string, object?>("limit", limit));
        }
        foreach (string msgType in (string[])["execute_reply", "status", "input_request", "other"])
        {
            ForgedMessages.Add(0, new KeyValuePair<string, object?>("msg_type", msgType));
        }
        OutputTruncations.Add(0);
        TimeoutRestarts.Add(0);
    }

    /// <summary>Where the per-kernel instruments find the gateway's kernels (the registry's own list, set once by it).</summary>
    public void Observe(Func<IEnumerable<IMeteredKernel>> kernels) => _kernels = kernels;

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveRunning() =>
        _kernels().Where(k => k.Sandbox.State == SandboxKernelState.Running)
            .GroupBy(k => (k.Sandbox.Spec.Name, k.Owner))
            .Select(g => new Measurement<long>(g.Count(), new("kernel_name", g.Key.Name), new("user", g.Key.Owner)));

    private IEnumerable<Measurement<long>> ObserveMemory() => PerKernel(usage => usage.ReadMemoryBytes());

    private IEnumerable<Measurement<double>> ObserveCpu() => PerKernel(usage => usage.ReadCpu()?.Seconds);

    private IEnumerable<Measurement<long>> ObservePidsLimitHits() => PerKernel(usage => usage.ReadPidsLimitHits());

    /// <summary>One measurement per running kernel whose container answers <paramref name="read"/>.</summary>
    private IEnumerable<Measurement<T>> PerKernel<T>(Func<ContainerUsage, T?> read) where T : struct
    {
        foreach (IMeteredKernel kernel in _kernels())
        {
            if (read(kernel.Sandbox.Usage) is { } value)
            {
                yield return new Measurement<T>(value, new KeyValuePair<string, object?>("kernel_id", kernel.Id));
            }
        }
    }
}

/// <summary>A kernel as the per-kernel instruments see it (the registry's kernels are these).</summary>
public interface IMeteredKernel
{
    string Id { get; }

    /// <summary>The user the kernel belongs to.</summary>
    string Owner { get; }

    SandboxKernel Sandbox { get; }
}
