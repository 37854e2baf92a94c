using NotebookGateway.Server.Metrics;

namespace NotebookGateway.Server.Tests.Metrics;

/// <summary>The <c>Metrics</c> section's validation (no gateway process).</summary>
public sealed class MetricsOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_export_the_NotebookGateway_meters()
    {
        var options = new MetricsOptions();
        Assert.True(new MetricsOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(options.Enabled);
        Assert.True(options.RequireToken);
        Assert.Equal(0, options.Port);
        Assert.Equal(["NotebookGateway"], options.EffectiveMeterPrefixes);
    }

    [Fact]
    public void Every_error_is_listed()
    {
        var options = new MetricsOptions
        {
            Port = 70000,
            MaxSeriesPerInstrument = 0,
            HistogramBuckets = new() { ["a"] = [1, 1], ["b"] = [double.PositiveInfinity], ["c"] = [] },
        };
        var failures = new MetricsOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
        Assert.Equal(5, failures.Count);
        Assert.Contains(failures, f => f.Contains("Metrics:Port", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Metrics:HistogramBuckets:a", StringComparison.Ordinal));
    }
}
