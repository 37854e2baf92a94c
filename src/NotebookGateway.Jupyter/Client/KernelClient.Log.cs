using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;

namespace NotebookGateway.Jupyter.Client;

public sealed partial class KernelClient
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Dropped a message from kernel `{KernelName}` on {Channel}: {Error}")]
        public static partial void MessageRejected(ILogger logger, MessageChannel channel, WireError error, string kernelName);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Reply `{MsgType}` to unknown request `{ParentId}` dropped")]
        public static partial void UnroutedReply(ILogger logger, string msgType, string? parentId);

        [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Stdin `{MsgType}` for unknown request `{ParentId}` dropped")]
        public static partial void UnroutedStdin(ILogger logger, string msgType, string? parentId);

        [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Dispatching a {Channel} message failed")]
        public static partial void DispatchFailed(ILogger logger, MessageChannel channel, Exception exception);

        [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Kernel `{KernelName}` is dead: {Reason}")]
        public static partial void KernelDead(ILogger logger, string kernelName, string reason);
    }
}
