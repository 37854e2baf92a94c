using Microsoft.Extensions.Logging;

namespace NotebookGateway.Docker.Transport;

/// <summary>Source-generated log messages of the Docker client (event ids 1100–1199).</summary>
internal static partial class DockerLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information,
        Message = "Docker Engine {EngineVersion} (API {EngineApiVersion}, min {EngineMinApiVersion}) at `{SocketPath}`; using API {ApiVersion}")]
    public static partial void ApiNegotiated(ILogger logger, string engineVersion, string engineApiVersion, string engineMinApiVersion, string socketPath, string apiVersion);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error,
        Message = "Docker Engine {EngineVersion} (API {EngineApiVersion}) is not supported: {Reason}")]
    public static partial void EngineUnsupported(ILogger logger, string engineVersion, string engineApiVersion, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "Docker Engine unreachable at `{SocketPath}` ({SocketError}) during {Operation}")]
    public static partial void EngineUnavailable(ILogger logger, string socketPath, System.Net.Sockets.SocketError socketError, string operation);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug,
        Message = "Docker {Operation} failed: {StatusCode} {EngineMessage}")]
    public static partial void RequestFailed(ILogger logger, string operation, int statusCode, string engineMessage);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning,
        Message = "Docker {Operation} got no answer within {Timeout}")]
    public static partial void RequestTimedOut(ILogger logger, string operation, TimeSpan timeout);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "Docker event stream opened (filters {Filters})")]
    public static partial void EventStreamOpened(ILogger logger, Models.DockerFilters? filters);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Debug, Message = "Docker event stream closed after {Count} events")]
    public static partial void EventStreamClosed(ILogger logger, long count);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Debug, Message = "Created container {ContainerId} ({Name}) from {Image}")]
    public static partial void ContainerCreated(ILogger logger, string containerId, string name, string image);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "Engine warning while creating container {ContainerId}: {Warning}")]
    public static partial void ContainerCreateWarning(ILogger logger, string containerId, string warning);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Debug, Message = "Removed container {ContainerId} (force {Force})")]
    public static partial void ContainerRemoved(ILogger logger, string containerId, bool force);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Imported image {Reference} as {ImageId}")]
    public static partial void ImageImported(ILogger logger, string reference, string imageId);
}
