using Microsoft.Extensions.Logging;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>The lifecycle's log messages (event ids 400-419), shared by the manager and its collaborators.</summary>
internal static partial class LifecycleLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "Sandbox manager ready: owner `{Owner}`, instance `{InstanceId}`, seccomp profile {SeccompDigest}, sockets under `{SocketRoot}`, workspaces under `{WorkspaceRoot}`")]
    public static partial void Initialized(ILogger logger, string owner, string instanceId, string seccompDigest, string socketRoot, string workspaceRoot);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information,
        Message = "Kernel `{KernelId}` ({Spec}) started in container `{ContainerId}`, session `{SessionKey}`, uid {Uid}, in {Milliseconds:0} ms ({Phases})")]
    public static partial void KernelStarted(ILogger logger, string kernelId, string spec, string containerId, string sessionKey, uint uid, double milliseconds, string phases);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information,
        Message = "Kernel `{KernelId}` restarted: container `{OldContainerId}` removed, `{ContainerId}` ready in {Milliseconds:0} ms ({Phases} ms)")]
    public static partial void KernelRestarted(ILogger logger, string kernelId, string oldContainerId, string containerId, double milliseconds, string phases);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "Kernel `{KernelId}` shut down")]
    public static partial void KernelShutDown(ILogger logger, string kernelId);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "Kernel `{KernelId}` interrupted ({Mode})")]
    public static partial void KernelInterrupted(ILogger logger, string kernelId, Jupyter.Client.InterruptMode mode);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` died (container `{ContainerId}`): {Reason}")]
    public static partial void KernelDied(ILogger logger, string kernelId, string containerId, string reason);

    [LoggerMessage(EventId = 406, Level = LogLevel.Warning, Message = "Kernel `{KernelId}`: an OOM kill at the memory limit in container `{ContainerId}`")]
    public static partial void OomEvent(ILogger logger, string kernelId, string containerId);

    [LoggerMessage(EventId = 407, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` start failed ({Outcome}): {Error}")]
    public static partial void LaunchFailed(ILogger logger, string kernelId, string outcome, string error);

    [LoggerMessage(EventId = 408, Level = LogLevel.Information, Message = "Removed orphaned container `{ContainerId}` of gateway instance `{InstanceId}`")]
    public static partial void OrphanRemoved(ILogger logger, string containerId, string instanceId);

    [LoggerMessage(EventId = 409, Level = LogLevel.Error, Message = "Cleanup incomplete ({What}): {Details}")]
    public static partial void CleanupFailed(ILogger logger, string what, string details);

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Sandbox self-test passed on runtime {Runtime}: {Observed}")]
    public static partial void SelfTestPassed(ILogger logger, string runtime, Security.SelfTestResult observed);

    [LoggerMessage(EventId = 411, Level = LogLevel.Error, Message = "A KernelStateChanged handler failed for kernel `{KernelId}`")]
    public static partial void HandlerFailed(ILogger logger, string kernelId, Exception exception);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "Sandbox manager of owner `{Owner}` (instance `{InstanceId}`) disposed; its containers are removed")]
    public static partial void Disposed(ILogger logger, string owner, string instanceId);

    [LoggerMessage(EventId = 413, Level = LogLevel.Warning, Message = "Workspaces are plain directories (Sandbox:WorkspaceBackend = Directory): no size cap")]
    public static partial void WorkspacesUncapped(ILogger logger);

    [LoggerMessage(EventId = 414, Level = LogLevel.Warning,
        Message = "fs.protected_symlinks is 0 on this host; the gateway does not rely on it (it never follows sandbox paths), but enabling it is recommended")]
    public static partial void ProtectedSymlinksOff(ILogger logger);

    [LoggerMessage(EventId = 440, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` not taken back: {Reason}")]
    public static partial void NotReadopted(ILogger logger, string kernelId, string reason);

    [LoggerMessage(EventId = 441, Level = LogLevel.Information,
        Message = "Re-adoption: {Running} kernel(s) taken back running, {Dead} dead (reason kept), {Dropped} dropped, in {Milliseconds:0} ms")]
    public static partial void Readopted(ILogger logger, int running, int dead, int dropped, double milliseconds);

    [LoggerMessage(EventId = 442, Level = LogLevel.Error, Message = "Kernel `{KernelId}`: its state could not be recorded: {Error}")]
    public static partial void StateNotRecorded(ILogger logger, string kernelId, string error);

    [LoggerMessage(EventId = 443, Level = LogLevel.Information, Message = "Sandbox manager of owner `{Owner}` stopped; {Kernels} kernel(s) left running for the next start")]
    public static partial void LeftForNextStart(ILogger logger, string owner, int kernels);
}
