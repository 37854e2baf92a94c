using Microsoft.Extensions.Logging;

namespace NotebookGateway.Egress.Proxy;

internal static partial class EgressLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Egress denied: kernel `{KernelId}`, policy {Policy}, {Method} {Destination}: {Reason}")]
    public static partial void Denied(ILogger logger, string kernelId, string policy, string method, string destination, string reason);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Egress connection closed: kernel `{KernelId}`, policy {Policy}, {Method} {Destination} ({Address}), {BytesUp} B up, {BytesDown} B down{Reason}")]
    public static partial void Closed(ILogger logger, string kernelId, string policy, string method, string destination, string? address, long bytesUp, long bytesDown, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Egress byte cap reached: kernel `{KernelId}`, policy {Policy}: {Reason}")]
    public static partial void CapReached(ILogger logger, string kernelId, string policy, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Egress proxy for kernel `{KernelId}` (policy {Policy}) listening on {Path}")]
    public static partial void Listening(ILogger logger, string kernelId, string policy, string path);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Egress proxy for kernel `{KernelId}`: accepting failed")]
    public static partial void AcceptFailed(ILogger logger, string kernelId, Exception exception);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "An egress observer failed")]
    public static partial void ObserverFailed(ILogger logger, Exception exception);
}
