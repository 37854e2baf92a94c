using System.Diagnostics.Metrics;

namespace NotebookGateway.Egress.Proxy;

/// <summary>Instruments of the egress proxy (meter <see cref="MeterName"/>).</summary>
public sealed class EgressMetrics : IDisposable
{
    public const string MeterName = "NotebookGateway.Egress";

    private readonly Meter _meter;
    private long _open;

    public EgressMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Connections = _meter.CreateCounter<long>("egress_connections", description: "Requests to the egress proxy (tags: decision allowed|denied, policy).");
        Bytes = _meter.CreateCounter<long>("egress_bytes", description: "Bytes relayed by the egress proxy (tag: direction up|down).");
        _meter.CreateObservableGauge("egress_connections_open", () => Interlocked.Read(ref _open), description: "Proxied connections open now.");
    }

    public Counter<long> Connections { get; }

    public Counter<long> Bytes { get; }

    internal void Opened() => Interlocked.Increment(ref _open);

    internal void Closed() => Interlocked.Decrement(ref _open);

    internal void Count(string decision, string policy) =>
        Connections.Add(1, new KeyValuePair<string, object?>("decision", decision), new KeyValuePair<string, object?>("policy", policy));

    internal void Relayed(string direction, long bytes) => Bytes.Add(bytes, new KeyValuePair<string, object?>("direction", direction));

    public void Dispose() => _meter.Dispose();
}
