namespace NotebookGateway.Kernels.Options;

/// <summary>Which container engine serves the Docker Engine API the gateway speaks (<c>Sandbox:Engine</c>).</summary>
public enum EngineKind
{
    /// <summary>dockerd, at <c>/var/run/docker.sock</c> unless <c>Sandbox:EngineSocket</c> says otherwise.</summary>
    Docker,

    /// <summary>Rootful Podman's compatible service (<c>podman system service</c>), at <c>/run/podman/podman.sock</c> unless set.</summary>
    Podman,
}
