namespace NotebookGateway.Bridge.Kernel;

/// <summary>Where a bridged kernel is in its life.</summary>
public enum BridgeState
{
    /// <summary>Starting (or adopting) the remote kernel; requests wait in the outbox.</summary>
    Starting,

    /// <summary>Connected to the remote kernel.</summary>
    Running,

    /// <summary>The websocket dropped; reconnecting with the same session id while the lease lasts.</summary>
    Reconnecting,

    /// <summary>The gateway gave no kernel; every request is answered locally with its message.</summary>
    Failed,

    /// <summary>The remote kernel died or is gone; the bridge is about to exit.</summary>
    Dead,

    /// <summary>Shutting down (shutdown_request, SIGTERM, the tool gone).</summary>
    Stopping,
}
