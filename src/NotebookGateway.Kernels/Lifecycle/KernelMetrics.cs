using System.Diagnostics.Metrics;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>Instruments of the kernel lifecycle (meter <see cref="MeterName"/>).</summary>
public sealed class KernelMetrics : IDisposable
{
    public const string MeterName = "NotebookGateway.Kernels";

    private readonly Meter _meter;
    private long _running;
    private Func<IEnumerable<(string Spec, int Ready, int ReservedMiB)>> _pools = () => [];

    public KernelMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        SecurityEvents = _meter.CreateCounter<long>("security_events", description: "Refusals of something a sandbox did (tag: kind).");
        KernelStarts = _meter.CreateCounter<long>("kernel_starts", description: "Kernel container starts (tag: outcome).");
        KernelDeaths = _meter.CreateCounter<long>("kernel_deaths", description: "Kernels that died without being asked to (tag: cause).");
        StartDuration = _meter.CreateHistogram<double>("kernel_start_duration", unit: "s", description: "From container create until kernel_info_reply.");
        StartPhase = _meter.CreateHistogram<double>("kernel_start_phase", unit: "s",
            description: "Each phase of a kernel start (phase: prepare, create, start, boot, connect, kernel_info; kernel_name).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10] });
        _meter.CreateObservableGauge("kernels_running", () => Interlocked.Read(ref _running), description: "Kernel containers currently running.");
        StartSeconds = _meter.CreateHistogram<double>("kernel_start", unit: "s",
            description: "From a start request reaching the sandbox manager until its kernel answered kernel_info (path: warm, from the pool, or cold; kernel_name).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10] });
        PoolHits = _meter.CreateCounter<long>("kernel_pool_hits", description: "Starts served by a waiting sandbox (kernel_name).");
        PoolMisses = _meter.CreateCounter<long>("kernel_pool_misses",
            description: "Starts of a pooled kernelspec that started cold (kernel_name; reason: empty, session, environment, network_policy).");
        _meter.CreateObservableGauge("kernel_pool_ready", () => _pools().Select(p => new Measurement<int>(p.Ready, new KeyValuePair<string, object?>("kernel_name", p.Spec))),
            description: "Sandboxes waiting in the pool (kernel_name).");
        _meter.CreateObservableGauge("kernel_pool_reserved_memory", () => _pools().Select(p => new Measurement<long>(p.ReservedMiB * 1024L * 1024, new KeyValuePair<string, object?>("kernel_name", p.Spec))),
            unit: "By", description: "Memory limits of the sandboxes waiting in the pool (kernel_name), counted against Sandbox:Pool budgets.");
    }

    public Counter<long> SecurityEvents { get; }

    public Counter<long> KernelStarts { get; }

    public Counter<long> KernelDeaths { get; }

    public Histogram<double> StartDuration { get; }

    public Histogram<double> StartPhase { get; }

    public Histogram<double> StartSeconds { get; }

    public Counter<long> PoolHits { get; }

    public Counter<long> PoolMisses { get; }

    internal void ObservePool(Func<IEnumerable<(string Spec, int Ready, int ReservedMiB)>> pools) => _pools = pools;

    internal void RunStarted() => Interlocked.Increment(ref _running);

    internal void RunEnded() => Interlocked.Decrement(ref _running);

    public void Dispose() => _meter.Dispose();
}
