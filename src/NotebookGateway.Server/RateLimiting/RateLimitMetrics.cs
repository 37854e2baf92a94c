using System.Diagnostics.Metrics;

namespace NotebookGateway.Server.RateLimiting;

/// <summary><c>rate_limit_hits{kind}</c>, shared by the per-user limits and the bad-token throttle.</summary>
public sealed class RateLimitMetrics
{
    public const string MeterName = "NotebookGateway.RateLimits";

    private readonly Counter<long> _hits;

    /// <param name="meterFactory">The host's (which owns the meter); a meter of its own without one.</param>
    public RateLimitMetrics(IMeterFactory? meterFactory = null)
    {
        Meter meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _hits = meter.CreateCounter<long>("rate_limit_hits", description: "Requests refused by a rate limit, by kind.");
    }

    public void CountHit(string kind) => _hits.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Every kind at 0 (once the exporter listens), so an alert on an increase fires on the first hit.</summary>
    public void ExportZeros()
    {
        foreach (string kind in (string[])["kernel_start", "execute", "websocket", "bad_token"])
        {
            _hits.Add(0, new KeyValuePair<string, object?>("kind", kind));
        }
    }
}
