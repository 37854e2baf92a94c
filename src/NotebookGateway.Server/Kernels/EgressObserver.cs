using NotebookGateway.Egress.Proxy;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Monitoring;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// Turns the egress proxy's decisions into audit records (with the kernel's owner), a refusal or a cut into an
/// <c>egress_denied</c> signal of the kernel's security timeline, and, when a kernel's byte cap cuts a connection, a
/// notice to the kernel's clients so the cell says why its download stopped.
/// </summary>
public sealed class EgressObserver(EgressProxy proxy, GatewayKernelRegistry kernels, AuditLog audit, SecurityTimeline timeline) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        proxy.Recorded += OnRecorded;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        proxy.Recorded -= OnRecorded;
        return Task.CompletedTask;
    }

    private void OnRecorded(object? sender, EgressRecord record)
    {
        var kernel = kernels.Find(record.KernelId);
        audit.Write(new EgressAuditRecord
        {
            Time = record.Time,
            User = kernel?.Owner ?? "",
            KernelId = record.KernelId,
            KernelName = kernel?.Sandbox.Spec.Name ?? "",
            Policy = record.Policy,
            Decision = record.Decision,
            Method = record.Method,
            Destination = record.Destination,
            Address = record.Address,
            Status = record.Status,
            BytesUp = record.BytesUp,
            BytesDown = record.BytesDown,
            Reason = record.Reason,
        });
        if (kernel is not null && (record.Decision == EgressRecord.Denied || record.CapExceeded))
        {
            timeline.Record(new SignalSource(kernel.Id, kernel.Owner, kernel.Sandbox.Spec.Name), SignalKinds.EgressDenied,
                $"{record.Method} {record.Destination} {(record.CapExceeded ? "cut" : "refused")} under policy `{record.Policy}`: {record.Reason}");
        }
        if (record.CapExceeded && kernel is not null)
        {
            kernel.Channels.PublishNotice($"[network: {record.Reason}; further connections are refused until the kernel restarts]\n");
        }
    }
}
