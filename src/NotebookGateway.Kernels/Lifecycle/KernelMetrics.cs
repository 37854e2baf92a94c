using System.Diagnostics.Metrics;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>Instruments of the kernel lifecycle (meter <see cref="MeterName"/>).</summary>
public sealed class KernelMetrics : IDisposable
{
    public const string MeterName = "NotebookGateway.Kernels";

    private readonly Meter _meter;
    private long _running;

    public KernelMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        SecurityEvents = _meter.CreateCounter<long>("security_events", description: "Refusals of something a sandbox did (tag: kind).");
        KernelStarts = _meter.CreateCounter<long>("kernel_starts", description: "Kernel container starts (tag: outcome).");
        KernelDeaths = _meter.CreateCounter<long>("kernel_deaths", description: "Kernels that died without being asked to (tag: cause).");
        StartDuration = _meter.CreateHistogram<double>("kernel_start_duration", unit: "s", description: "From container create until kernel_info_reply.");
        _meter.CreateObservableGauge("kernels_running", () => Interlocked.Read(ref _running), description: "Kernel containers currently running.");
    }

    public Counter<long> SecurityEvents { get; }

    public Counter<long> KernelStarts { get; }

    public Counter<long> KernelDeaths { get; }

    public Histogram<double> StartDuration { get; }

    internal void RunStarted() => Interlocked.Increment(ref _running);

    internal void RunEnded() => Interlocked.Decrement(ref _running);

    public void Dispose() => _meter.Dispose();
}
