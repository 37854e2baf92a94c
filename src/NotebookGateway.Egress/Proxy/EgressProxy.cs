using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Egress.Proxy;

/// <summary>
/// The gateway's egress proxy: one <see cref="EgressListener"/> per kernel run whose policy is not <c>none</c>, on a
/// Unix socket that the run's container reaches. Every decision is counted, logged and raised as
/// <see cref="Recorded"/> (the server writes it to the audit log and tells the cell when a byte cap cuts a download).
/// </summary>
public sealed class EgressProxy(IOptions<EgressOptions> options, EgressMetrics metrics, TimeProvider timeProvider, ILogger<EgressProxy> logger)
{
    public EgressOptions Options => options.Value;

    internal EgressMetrics Metrics => metrics;

    internal TimeProvider Time => timeProvider;

    internal ILogger Logger => logger;

    /// <summary>Raised for every refusal at once and for every allowed connection when it ends. Handlers must not block.</summary>
    public event EventHandler<EgressRecord>? Recorded;

    /// <summary>Listens on a new Unix socket at <paramref name="socketPath"/> (mode 0666: its directory is what guards it).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The socket could not be bound (e.g. the path exists).</exception>
    public EgressListener Listen(string socketPath, string kernelId, EgressPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var listener = EgressListener.Start(this, socketPath, kernelId, policy);
        EgressLog.Listening(logger, kernelId, policy.Name, socketPath);
        return listener;
    }

    internal void Publish(EgressRecord record)
    {
        if (record.Decision == EgressRecord.Denied)
        {
            metrics.Count(EgressRecord.Denied, record.Policy);
            EgressLog.Denied(logger, record.KernelId, record.Policy, record.Method, record.Destination, record.Reason ?? "");
        }
        else
        {
            EgressLog.Closed(logger, record.KernelId, record.Policy, record.Method, record.Destination, record.Address, record.BytesUp, record.BytesDown,
                record.Reason is null ? "" : "; " + record.Reason);
        }

        if (record.CapExceeded)
        {
            EgressLog.CapReached(logger, record.KernelId, record.Policy, record.Reason ?? "");
        }

        try
        {
            Recorded?.Invoke(this, record);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            EgressLog.ObserverFailed(logger, ex);
        }
    }
}
