using Microsoft.Extensions.Logging;

namespace NotebookGateway.Bridge.Kernel;

// Log messages of the bridge kernel.
public sealed partial class BridgeKernel
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Connected to kernel `{KernelId}` ({Spec}) on {Gateway}")]
        public static partial void Connected(ILogger logger, string kernelId, string spec, Uri gateway);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Restarted kernel `{KernelId}` left by the previous bridge process of this connection")]
        public static partial void Adopted(ILogger logger, string kernelId);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Stopping: {Reason}")]
        public static partial void Stopping(ILogger logger, string reason);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Deleted kernel `{KernelId}` on the gateway")]
        public static partial void Deleted(ILogger logger, string kernelId);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "Deleting kernel `{KernelId}` failed (its lease will remove it): {Error}")]
        public static partial void DeleteFailed(ILogger logger, string kernelId, string error);

        [LoggerMessage(EventId = 5106, Level = LogLevel.Warning, Message = "Interrupting the kernel failed: {Error}")]
        public static partial void InterruptFailed(ILogger logger, string error);



        [LoggerMessage(EventId = 5109, Level = LogLevel.Warning, Message = "The queue to the gateway is full; dropped `{MsgType}`")]
        public static partial void OutboxFull(ILogger logger, string msgType);

        [LoggerMessage(EventId = 5110, Level = LogLevel.Warning, Message = "Sending `{MsgType}` to the gateway failed: {Error}")]
        public static partial void SendFailed(ILogger logger, string msgType, string error);

        [LoggerMessage(EventId = 5111, Level = LogLevel.Warning, Message = "Dropped a message from the gateway: {Reason}")]
        public static partial void GatewayMessageDropped(ILogger logger, string reason);

        [LoggerMessage(EventId = 5112, Level = LogLevel.Warning, Message = "The connection to the gateway dropped: {Error}")]
        public static partial void ConnectionLost(ILogger logger, string error);

        [LoggerMessage(EventId = 5113, Level = LogLevel.Debug, Message = "No requester for `{MsgType}` (parent {ParentId}); dropped")]
        public static partial void Unrouted(ILogger logger, string msgType, string? parentId);

        [LoggerMessage(EventId = 5114, Level = LogLevel.Information, Message = "Reconnected to kernel `{KernelId}` after {Attempts} attempt(s)")]
        public static partial void Reconnected(ILogger logger, string kernelId, int attempts);

        [LoggerMessage(EventId = 5115, Level = LogLevel.Information, Message = "Reconnection attempt {Attempt} failed: {Error}")]
        public static partial void ReconnectFailed(ILogger logger, int attempt, string error);
    }
}
