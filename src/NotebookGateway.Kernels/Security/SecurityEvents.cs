using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Security;

/// <summary>Security-relevant refusals: one log entry (event id 900) and one <c>security_events{kind}</c> count each.</summary>
public sealed partial class SecurityEvents(ILogger<SecurityEvents> logger, KernelMetrics metrics)
{
    public void Report(string kind, string kernelId, string? containerId, string detail)
    {
        metrics.SecurityEvents.Add(1, new KeyValuePair<string, object?>("kind", kind));
        Log.SecurityEvent(logger, kind, kernelId, containerId ?? "-", detail);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "SECURITY {Kind}: kernel `{KernelId}`, container `{ContainerId}`: {Detail}")]
        public static partial void SecurityEvent(ILogger logger, string kind, string kernelId, string containerId, string detail);
    }
}
