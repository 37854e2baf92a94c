using Microsoft.Extensions.Logging;

namespace NotebookGateway.Egress.Proxy;

internal static partial class EgressLog
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Egress denied: kernel `{KernelId}`, policy {Policy}, {Method} {Destination}: {Reason}")]
    public static partial void Denied(ILogger logger, string kernelId, string policy, string method, string destination, string reason);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Egress connection closed: kernel `{KernelId}`, policy {Policy}, {Method} {Destination} ({Address}), {BytesUp} B up, {BytesDown} B down{Reason}")]
    public static partial void Closed(ILogger logger, string kernelId, string policy, string method, string destination, string? address, long bytesUp, long bytesDown, string reason);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Egress byte cap reached: kernel `{KernelId}`, policy {Policy}: {Reason}")]
    public static partial void CapReached(ILogger logger, string kernelId, string policy, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Debug, Message = "Egress proxy for kernel `{KernelId}` (policy {Policy}) listening on {Path}")]
    public static partial void Listening(ILogger logger, string kernelId, string policy, string path);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Debug, Message = "Egress proxy for kernel `{KernelId}` (policy {Policy}) listening on 127.0.0.1:{Port} in the network namespace {Namespace}")]
    public static partial void ListeningInNamespace(ILogger logger, string kernelId, string policy, int port, string @namespace);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Egress proxy for kernel `{KernelId}`: accepting failed")]
    public static partial void AcceptFailed(ILogger logger, string kernelId, Exception exception);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Warning, Message = "An egress observer failed")]
    public static partial void ObserverFailed(ILogger logger, Exception exception);
}
