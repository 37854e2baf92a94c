using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Support;

/// <summary>Sums a counter of the kernels meter per tag value while alive.</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new(StringComparer.Ordinal);

    public MetricRecorder(string instrument, string tag)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == KernelMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string key = "";
            foreach (var t in tags)
            {
                if (t.Key == tag)
                {
                    key = t.Value?.ToString() ?? "";
                }
            }

            _sums.AddOrUpdate(key, value, (_, old) => old + value);
        });
        _listener.Start();
    }

    public long this[string tagValue] => _sums.GetValueOrDefault(tagValue);

    public void Dispose() => _listener.Dispose();
}
