using System.Globalization;
using NotebookGateway.Docker;
using NotebookGateway.Jupyter.Client;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// Signals a kernel through the engine (<c>POST /containers/{id}/kill?signal=N</c>): the container's init
/// forwards it to the image's tini, which sends it to the kernel's process group. No <c>docker exec</c>,
/// so it works even when the container cannot fork.
/// </summary>
public sealed class ContainerSignaler(DockerClient docker, string containerId) : IKernelSignaler
{
    public string ContainerId { get; } = containerId;

    public Task SignalAsync(int signal, CancellationToken cancellationToken) =>
        docker.Containers.KillAsync(ContainerId, signal.ToString(CultureInfo.InvariantCulture), cancellationToken);
}
