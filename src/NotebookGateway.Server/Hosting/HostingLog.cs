namespace NotebookGateway.Server.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 3901, Level = LogLevel.Error, Message = "Unhandled error on {Path}")]
    public static partial void UnhandledError(ILogger logger, string path, Exception? exception);

    [LoggerMessage(EventId = 3902, Level = LogLevel.Information, Message = "NotebookGateway is listening on {Url} (JSON console logs)")]
    public static partial void Listening(ILogger logger, string url);
}
