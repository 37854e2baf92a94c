namespace NotebookGateway.Server.Execution;

public sealed partial class ExecutionMonitor
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "Kernel `{KernelId}` of `{Owner}`: cell `{MsgId}` stopped by the {Limit} limit")]
        public static partial void CellStopped(ILogger logger, string kernelId, string owner, string msgId, string limit);

        [LoggerMessage(EventId = 3502, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` of `{Owner}`: cell `{MsgId}` ignored the interrupt; restarting the kernel")]
        public static partial void Restarting(ILogger logger, string kernelId, string owner, string msgId);

        [LoggerMessage(EventId = 3503, Level = LogLevel.Information, Message = "Kernel `{KernelId}` of `{Owner}`: execute refused, CPU budget spent")]
        public static partial void Refused(ILogger logger, string kernelId, string owner);

        [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Kernel `{KernelId}`: {Action} after a limit failed: {Error}")]
        public static partial void ActionFailed(ILogger logger, string kernelId, string action, string error);

        [LoggerMessage(EventId = 3505, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` of `{Owner}`: {Seconds:0.0} s of CPU with no cell outstanding; interrupting")]
        public static partial void BackgroundStopped(ILogger logger, string kernelId, string owner, double seconds);

        [LoggerMessage(EventId = 3506, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` of `{Owner}`: background CPU went on after the interrupt; restarting the kernel")]
        public static partial void BackgroundRestarting(ILogger logger, string kernelId, string owner);
    }
}
