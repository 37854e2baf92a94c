using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Metrics;

/// <summary>
/// Aggregates the <see cref="System.Diagnostics.Metrics"/> instruments of the gateway's meters and renders them in the
/// Prometheus text exposition format 0.0.4. Counters and up-down counters keep a sum per tag set, histograms fixed
/// buckets, sum and count per tag set; observable instruments are read at scrape time.
/// </summary>
/// <remarks>
/// Names: invalid characters become '_', a simple unit is appended (s → _seconds, ms → _milliseconds, By → _bytes)
/// unless the name already ends with it, and counters end in <c>_total</c>. Families and series are sorted ordinally.
/// </remarks>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OwnMeterName = "NotebookGateway.Metrics";

    /// <summary>Default histogram bounds (seconds).</summary>
    public static readonly IReadOnlyList<double> DefaultSecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly MetricsOptions _options;
    private readonly IReadOnlyList<string> _prefixes;
    private readonly MeterListener _listener;
    private readonly Meter _ownMeter;
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _scrapeLock = new();
    private long _droppedSeries;

    public PrometheusExporter(IOptions<MetricsOptions> options, IMeterFactory? meterFactory = null)
        : this(options?.Value ?? new MetricsOptions(), meterFactory)
    {
    }

    /// <param name="meterFactory">Where the exporter's own meter comes from (the host's); a meter of its own without one.</param>
    public PrometheusExporter(MetricsOptions options, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _prefixes = options.EffectiveMeterPrefixes;
        _ownMeter = meterFactory?.Create(OwnMeterName) ?? new Meter(OwnMeterName);
        _ownMeter.CreateObservableCounter("nbgw_metrics_series_dropped", () => Interlocked.Read(ref _droppedSeries),
            description: "Measurements dropped because their instrument already had the maximum number of tag sets.");
        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? _),
        };
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => Record(s, (double)v, t));
        _listener.Start();
    }

    /// <summary>Measurements dropped by the series cap so far.</summary>
    public long DroppedSeries => Interlocked.Read(ref _droppedSeries);

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        (state as InstrumentState)?.Record(value, tags);

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (instrument.Meter != _ownMeter && !_prefixes.Any(p => instrument.Meter.Name.StartsWith(p, StringComparison.Ordinal)))
        {
            return;
        }
        InstrumentKind? kind = KindOf(instrument);
        if (kind is null)
        {
            return;
        }
        var state = new InstrumentState(this, instrument, kind.Value, BucketsFor(instrument, kind.Value));
        if (_instruments.TryAdd(instrument, state))
        {
            listener.EnableMeasurementEvents(instrument, state);
        }
    }

    private double[] BucketsFor(Instrument instrument, InstrumentKind kind)
    {
        if (kind != InstrumentKind.Histogram)
        {
            return [];
        }
        if (_options.HistogramBuckets.TryGetValue(instrument.Name, out double[]? configured) && configured.Length > 0)
        {
            return [.. configured];
        }
        IReadOnlyList<double>? advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            _ => null,
        };
        return advised is { Count: > 0 } ? [.. advised] : [.. DefaultSecondsBuckets];
    }

    private static InstrumentKind? KindOf(Instrument instrument)
    {
        Type type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }
        Type definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>))
        {
            return InstrumentKind.Counter;
        }
        if (definition == typeof(UpDownCounter<>))
        {
            return InstrumentKind.UpDownCounter;
        }
        if (definition == typeof(Histogram<>))
        {
            return InstrumentKind.Histogram;
        }
        if (definition == typeof(Gauge<>) || definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>))
        {
            return InstrumentKind.Gauge;
        }
        if (definition == typeof(ObservableCounter<>))
        {
            return InstrumentKind.ObservableCounter;
        }
        return null;
    }

    /// <summary>The exposition text of every exported instrument (observable instruments are read now).</summary>
    public string Render()
    {
        var text = new StringBuilder();
        using var writer = new StringWriter(text, CultureInfo.InvariantCulture);
        WriteTo(writer);
        return text.ToString();
    }

    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_scrapeLock)
        {
            // Observable values are replaced at every scrape, so a tag set no longer reported disappears.
            foreach (InstrumentState state in _instruments.Values.Where(s => s.Instrument.IsObservable))
            {
                state.Clear();
            }
            _listener.RecordObservableInstruments();

            var families = _instruments.Values
                .GroupBy(s => s.ExportedName, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal);
            foreach (var family in families)
            {
                InstrumentState first = family.OrderBy(s => s.Instrument.Meter.Name, StringComparer.Ordinal).First();
                // Two instruments of different kinds under one name would be an invalid exposition: the first wins.
                var members = family.Where(s => s.PrometheusType == first.PrometheusType).ToList();
                var series = members.SelectMany(s => s.Snapshot()).OrderBy(s => s.Labels, StringComparer.Ordinal).ToList();
                if (series.Count == 0)
                {
                    continue;
                }
                string help = members.Select(s => s.Instrument.Description).FirstOrDefault(d => !string.IsNullOrEmpty(d)) ?? family.Key;
                writer.Write("# HELP ");
                writer.Write(family.Key);
                writer.Write(' ');
                writer.Write(PrometheusText.EscapeHelp(help));
                writer.Write('\n');
                writer.Write("# TYPE ");
                writer.Write(family.Key);
                writer.Write(' ');
                writer.Write(first.PrometheusType);
                writer.Write('\n');
                string? previous = null;
                foreach (SeriesSnapshot s in series)
                {
                    if (s.Labels == previous)
                    {
                        continue; // the same tag set from two meters: keep one sample per series
                    }
                    previous = s.Labels;
                    if (first.Kind == InstrumentKind.Histogram)
                    {
                        WriteHistogram(writer, family.Key, s);
                    }
                    else
                    {
                        PrometheusText.WriteSample(writer, family.Key, s.Labels, s.Value);
                    }
                }
            }
        }
    }

    private static void WriteHistogram(TextWriter writer, string name, SeriesSnapshot s)
    {
        long cumulative = 0;
        for (int i = 0; i <= s.Bounds.Length; i++)
        {
            cumulative += s.BucketCounts[i];
            string le = i < s.Bounds.Length ? PrometheusText.FormatValue(s.Bounds[i]) : "+Inf";
            string labels = s.Labels.Length == 0 ? $"le=\"{le}\"" : $"{s.Labels},le=\"{le}\"";
            PrometheusText.WriteSample(writer, name + "_bucket", labels, cumulative);
        }
        PrometheusText.WriteSample(writer, name + "_sum", s.Labels, s.Value);
        PrometheusText.WriteSample(writer, name + "_count", s.Labels, cumulative);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _ownMeter.Dispose();
    }

    private enum InstrumentKind
    {
        Counter,
        UpDownCounter,
        Histogram,
        Gauge,
        ObservableCounter,
    }

    private sealed record SeriesSnapshot(string Labels, double Value, double[] Bounds, long[] BucketCounts);

    /// <summary>One tag set: a sum (or last value), and for histograms per-bucket counts (not cumulative).</summary>
    private sealed class Series(int buckets)
    {
        private double _value;
        public readonly long[] Buckets = new long[buckets];

        public double Value => Volatile.Read(ref _value);

        public void Add(double value)
        {
            double current = Volatile.Read(ref _value);
            while (true)
            {
                double seen = Interlocked.CompareExchange(ref _value, current + value, current);
                if (seen.Equals(current))
                {
                    return;
                }
                current = seen;
            }
        }

        public void Set(double value) => Volatile.Write(ref _value, value);
    }

    private sealed class InstrumentState
    {
        private readonly PrometheusExporter _owner;
        private readonly double[] _bounds;
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private Series? _untagged;
        private int _count;

        public InstrumentState(PrometheusExporter owner, Instrument instrument, InstrumentKind kind, double[] bounds)
        {
            _owner = owner;
            Instrument = instrument;
            Kind = kind;
            _bounds = bounds;
            ExportedName = PrometheusText.ExportedNameOf(instrument.Name, instrument.Unit, kind is InstrumentKind.Counter or InstrumentKind.ObservableCounter);
            PrometheusType = kind switch
            {
                InstrumentKind.Counter or InstrumentKind.ObservableCounter => "counter",
                InstrumentKind.Histogram => "histogram",
                _ => "gauge",
            };
        }

        public Instrument Instrument { get; }

        public InstrumentKind Kind { get; }

        public string ExportedName { get; }

        public string PrometheusType { get; }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Series? series = tags.Length == 0 ? Volatile.Read(ref _untagged) ?? GetOrAdd("") : GetOrAdd(PrometheusText.LabelsOf(tags));
            if (series is null)
            {
                return;
            }
            switch (Kind)
            {
                case InstrumentKind.Histogram:
                    if (double.IsNaN(value))
                    {
                        return;
                    }
                    int index = Array.BinarySearch(_bounds, value);
                    Interlocked.Increment(ref series.Buckets[index >= 0 ? index : ~index]);
                    series.Add(value);
                    break;
                case InstrumentKind.Gauge or InstrumentKind.ObservableCounter:
                    series.Set(value);
                    break;
                default:
                    series.Add(value);
                    break;
            }
        }

        private Series? GetOrAdd(string labels)
        {
            if (_series.TryGetValue(labels, out Series? existing))
            {
                return existing;
            }
            if (Interlocked.Increment(ref _count) > _owner._options.MaxSeriesPerInstrument)
            {
                Interlocked.Decrement(ref _count);
                Interlocked.Increment(ref _owner._droppedSeries);
                return null;
            }
            var created = new Series(Kind == InstrumentKind.Histogram ? _bounds.Length + 1 : 0);
            if (!_series.TryAdd(labels, created))
            {
                Interlocked.Decrement(ref _count);
                return _series[labels];
            }
            if (labels.Length == 0)
            {
                Volatile.Write(ref _untagged, created);
            }
            return created;
        }

        public void Clear()
        {
            _series.Clear();
            Volatile.Write(ref _untagged, null);
            Volatile.Write(ref _count, 0);
        }

        public IEnumerable<SeriesSnapshot> Snapshot() =>
            _series.Select(pair => new SeriesSnapshot(pair.Key, pair.Value.Value, _bounds, [.. pair.Value.Buckets])).ToList();
    }
}
