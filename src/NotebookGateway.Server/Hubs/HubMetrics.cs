using System.Diagnostics.Metrics;

namespace NotebookGateway.Server.Hubs;

/// <summary>The hub's instruments (meter <see cref="MeterName"/>); one for the process, while hub instances come and go per call.</summary>
public sealed class HubMetrics
{
    public const string MeterName = "NotebookGateway.Hub";

    /// <param name="meterFactory">The host's (which owns the meter); a meter of its own without one.</param>
    public HubMetrics(IMeterFactory? meterFactory = null)
    {
        Meter meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Connections = meter.CreateUpDownCounter<long>("hub_connections", description: "Open SignalR connections to the kernel hub.");
        Streams = meter.CreateUpDownCounter<long>("hub_streams", description: "Subscribe streams currently attached to a client session.");
    }

    public UpDownCounter<long> Connections { get; }

    public UpDownCounter<long> Streams { get; }
}
