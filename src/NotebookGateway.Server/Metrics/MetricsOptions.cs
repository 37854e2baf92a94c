using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Metrics;

/// <summary>The <c>Metrics</c> section of gateway.json: the Prometheus endpoint <c>GET /metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>The meter-name prefix used when <see cref="MeterPrefixes"/> is empty.</summary>
    public const string DefaultMeterPrefix = "NotebookGateway";

    /// <summary>Whether <c>/metrics</c> is served (the instruments are recorded either way only when it is).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>true: the API token is required as on every route; false: <c>/metrics</c> is served without it.</summary>
    public bool RequireToken { get; set; } = true;

    /// <summary>0: only the gateway's listener; &gt;0: also 127.0.0.1:Port, where nothing but <c>/metrics</c> is served.</summary>
    public int Port { get; set; }

    /// <summary>Meters whose name starts with one of these are exported; empty = <see cref="DefaultMeterPrefix"/>.</summary>
    public List<string> MeterPrefixes { get; set; } = [];

    /// <summary>Distinct tag sets kept per instrument; measurements of further tag sets are dropped and counted.</summary>
    public int MaxSeriesPerInstrument { get; set; } = 10_000;

    /// <summary>Histogram bucket upper bounds by instrument name; others use <see cref="PrometheusExporter.DefaultSecondsBuckets"/>.</summary>
    public Dictionary<string, double[]> HistogramBuckets { get; set; } = [];

    public IReadOnlyList<string> EffectiveMeterPrefixes => MeterPrefixes.Count == 0 ? [DefaultMeterPrefix] : MeterPrefixes;
}

/// <summary>Collects every error of the <c>Metrics</c> section.</summary>
public sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"Metrics:Port {options.Port} is not 0 (same listener) or a TCP port.");
        }
        if (options.MaxSeriesPerInstrument < 1)
        {
            errors.Add($"Metrics:MaxSeriesPerInstrument {options.MaxSeriesPerInstrument} must be at least 1.");
        }
        foreach (var (instrument, bounds) in options.HistogramBuckets)
        {
            bool increasing = bounds.Length > 0 && bounds.All(double.IsFinite);
            for (int i = 1; increasing && i < bounds.Length; i++)
            {
                increasing = bounds[i] > bounds[i - 1];
            }
            if (!increasing)
            {
                errors.Add($"Metrics:HistogramBuckets:{instrument} must be finite, strictly increasing bounds.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
