using System.Diagnostics.Metrics;
using NotebookGateway.Server.Metrics;

namespace NotebookGateway.Server.Tests.Metrics;

/// <summary>§7 item 53: the exporter's text format, unit by unit, on fixture meters (no gateway process).</summary>
public sealed class PrometheusExporterTests : IDisposable
{
    private readonly string _meterName = "Test.Metrics." + Guid.NewGuid().ToString("N");
    private readonly Meter _meter;

    public PrometheusExporterTests() => _meter = new Meter(_meterName);

    public void Dispose() => _meter.Dispose();

    private PrometheusExporter Exporter(int maxSeries = 10_000, Dictionary<string, double[]>? buckets = null) => new(new MetricsOptions
    {
        MeterPrefixes = [_meterName],
        MaxSeriesPerInstrument = maxSeries,
        HistogramBuckets = buckets ?? [],
    });

    private const string DroppedFamily = """
        # HELP nbgw_metrics_series_dropped_total Measurements dropped because their instrument already had the maximum number of tag sets.
        # TYPE nbgw_metrics_series_dropped_total counter

        """;

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    [Fact]
    public void Renders_every_instrument_kind_with_tags_in_exact_text()
    {
        using PrometheusExporter exporter = Exporter(buckets: new() { ["latency"] = [0.1, 1] });
        Counter<long> requests = _meter.CreateCounter<long>("requests", description: "Requests.");
        UpDownCounter<int> open = _meter.CreateUpDownCounter<int>("open", description: "Open things.");
        Histogram<double> latency = _meter.CreateHistogram<double>("latency", unit: "s", description: "Latency.");
        _meter.CreateObservableGauge("temperature", () => new Measurement<double>(21.5, Tag("room", "a\"b\\c\nd")), description: "Temperature.");
        _meter.CreateObservableCounter("ticks", () => 7L, description: "Ticks.");
        _meter.CreateObservableUpDownCounter("queue", () => -3, description: "Queue.");

        requests.Add(2, Tag("kind", "a"));
        requests.Add(1, Tag("kind", "b"));
        requests.Add(3, Tag("kind", "a"));
        open.Add(3);
        open.Add(-1);
        latency.Record(0.25, Tag("route", "/x"));
        latency.Record(0.5, Tag("route", "/x"));
        latency.Record(2, Tag("route", "/x"));

        string expected = """
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{route="/x",le="0.1"} 0
            latency_seconds_bucket{route="/x",le="1"} 2
            latency_seconds_bucket{route="/x",le="+Inf"} 3
            latency_seconds_sum{route="/x"} 2.75
            latency_seconds_count{route="/x"} 3

            """ + DroppedFamily + """
            nbgw_metrics_series_dropped_total 0
            # HELP open Open things.
            # TYPE open gauge
            open 2
            # HELP queue Queue.
            # TYPE queue gauge
            queue -3
            # HELP requests_total Requests.
            # TYPE requests_total counter
            requests_total{kind="a"} 5
            requests_total{kind="b"} 1
            # HELP temperature Temperature.
            # TYPE temperature gauge
            temperature{room="a\"b\\c\nd"} 21.5
            # HELP ticks_total Ticks.
            # TYPE ticks_total counter
            ticks_total 7

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), exporter.Render());
    }

    [Fact]
    public void Tags_are_sorted_sanitized_and_formatted_invariantly()
    {
        using PrometheusExporter exporter = Exporter();
        Counter<double> counter = _meter.CreateCounter<double>("calls");
        counter.Add(1.5, Tag("zeta", 1), Tag("alpha.key", true), Tag("mid", null));
        counter.Add(1, Tag("mid", null), Tag("zeta", 1), Tag("alpha.key", true));
        Assert.Contains("\ncalls_total{alpha_key=\"true\",mid=\"\",zeta=\"1\"} 2.5\n", "\n" + exporter.Render(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http_request_duration", "s", false, "http_request_duration_seconds")]
    [InlineData("http_request_duration_seconds", "s", false, "http_request_duration_seconds")]
    [InlineData("kernel.start-duration", "ms", false, "kernel_start_duration_milliseconds")]
    [InlineData("memory", "By", false, "memory_bytes")]
    [InlineData("starts", "{start}", true, "starts_total")]
    [InlineData("starts_total", null, true, "starts_total")]
    [InlineData("1st metric", null, false, "_1st_metric")]
    [InlineData("ns:name", null, false, "ns:name")]
    public void Names_are_sanitized_and_suffixed(string instrument, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusText.ExportedNameOf(instrument, unit, counter));

    [Fact]
    public void Help_text_and_label_values_are_escaped()
    {
        using PrometheusExporter exporter = Exporter();
        Counter<long> counter = _meter.CreateCounter<long>("odd name!", description: "Line one\nback\\slash");
        counter.Add(1, Tag("value", "q\"b\\n\n"));
        string text = exporter.Render();
        Assert.Contains("# HELP odd_name__total Line one\\nback\\\\slash\n", text, StringComparison.Ordinal);
        Assert.Contains("odd_name__total{value=\"q\\\"b\\\\n\\n\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Series_beyond_the_cap_are_dropped_and_counted()
    {
        using PrometheusExporter exporter = Exporter(maxSeries: 3);
        Counter<long> counter = _meter.CreateCounter<long>("capped");
        for (int i = 0; i < 5; i++)
        {
            counter.Add(1, Tag("id", i));
        }
        counter.Add(1, Tag("id", 0)); // an existing series still counts
        string text = exporter.Render();
        Assert.Contains("capped_total{id=\"0\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("capped_total{id=\"2\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"3\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"4\"", text, StringComparison.Ordinal);
        Assert.Contains("nbgw_metrics_series_dropped_total 2\n", text, StringComparison.Ordinal);
        Assert.Equal(2, exporter.DroppedSeries);
    }

    [Fact]
    public void Meters_outside_the_prefixes_are_not_exported_and_default_buckets_apply()
    {
        using var other = new Meter("Other." + Guid.NewGuid().ToString("N"));
        using PrometheusExporter exporter = Exporter();
        other.CreateCounter<long>("foreign").Add(1);
        _meter.CreateHistogram<double>("wait", unit: "s").Record(0.003);
        string text = exporter.Render();
        Assert.DoesNotContain("foreign", text, StringComparison.Ordinal);
        string[] bounds = [.. PrometheusExporter.DefaultSecondsBuckets.Select(PrometheusText.FormatValue), "+Inf"];
        foreach (string le in bounds)
        {
            Assert.Contains($"wait_seconds_bucket{{le=\"{le}\"}} 1\n", text, StringComparison.Ordinal);
        }
        Assert.Contains("wait_seconds_count 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Observable_series_that_are_no_longer_reported_disappear()
    {
        using PrometheusExporter exporter = Exporter();
        var specs = new List<string> { "python3", "r" };
        _meter.CreateObservableGauge("running", () => specs.Select(s => new Measurement<int>(1, Tag("spec", s))));
        Assert.Contains("running{spec=\"r\"} 1\n", exporter.Render(), StringComparison.Ordinal);
        specs.Remove("r");
        string text = exporter.Render();
        Assert.Contains("running{spec=\"python3\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("spec=\"r\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_measurements_are_all_counted()
    {
        using PrometheusExporter exporter = Exporter();
        Counter<long> counter = _meter.CreateCounter<long>("hits");
        Histogram<double> histogram = _meter.CreateHistogram<double>("span", unit: "s");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                counter.Add(1, Tag("worker", t % 2));
                histogram.Record(0.5);
                if (i % 1000 == 0)
                {
                    _ = exporter.Render();
                }
            }
        })));
        string text = exporter.Render();
        Assert.Contains("hits_total{worker=\"0\"} 40000\n", text, StringComparison.Ordinal);
        Assert.Contains("hits_total{worker=\"1\"} 40000\n", text, StringComparison.Ordinal);
        Assert.Contains("span_seconds_count 80000\n", text, StringComparison.Ordinal);
        Assert.Contains("span_seconds_sum 40000\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_accepts_every_instrument_kind()
    {
        using PrometheusExporter exporter = Exporter();
        _meter.CreateCounter<long>("events", description: "Events.").Add(4, Tag("kind", "x\"y"));
        _meter.CreateCounter<double>("work", unit: "s", description: "Work done.").Add(1.25);
        _meter.CreateUpDownCounter<long>("connections", description: "Open connections.").Add(2, Tag("transport", "ws"));
        Histogram<double> duration = _meter.CreateHistogram<double>("request_duration", unit: "s", description: "Request duration.");
        duration.Record(0.02, Tag("handler", "/api/kernels/{kernelId}"), Tag("method", "GET"));
        duration.Record(75, Tag("handler", "/api/kernels/{kernelId}"), Tag("method", "GET"));
        _meter.CreateHistogram<long>("payload_size", unit: "By", description: "Payload sizes.").Record(512);
        _meter.CreateObservableGauge("kernels_running", () => new Measurement<long>(3, Tag("spec", "python3")), description: "Kernels.");
        _meter.CreateObservableCounter("cpu", () => 12.5, unit: "s", description: "CPU time.");
        _meter.CreateObservableUpDownCounter("memory", () => 1024L, unit: "By", description: "Memory.");
        _meter.CreateGauge<double>("load", description: "Load.").Record(0.75);
        await Promtool.AssertValidAsync(exporter.Render());
    }
}
