using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Removes what an earlier gateway process of this owner left behind: its containers, then every socket directory,
/// connection file, mount and workspace under the owner's roots. They are never re-adopted: their HMAC keys lived
/// only in the dead process (the gateway never reads a connection file back), so nothing could speak to those
/// kernels safely. Runs of this process (<see cref="RunTable"/>) are left alone.
/// </summary>
public sealed class OrphanSweeper(DockerClient docker, SandboxHost host, RunTable runs, ILogger<OrphanSweeper> logger)
{
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var filters = DockerFilters.ByLabel(SandboxLabels.Owner, host.Owner);
        var containers = await docker.Containers.ListAsync(new ContainerListParameters { All = true, Filters = filters }, cancellationToken).ConfigureAwait(false);
        foreach (var container in containers)
        {
            if (runs.Contains(container.Id))
            {
                continue;
            }

            try
            {
                await docker.Containers.RemoveAsync(container.Id, force: true, removeVolumes: true, cancellationToken).ConfigureAwait(false);
                var instance = container.Labels is { } labels && labels.TryGetValue(SandboxLabels.Instance, out var value) ? value : "?";
                LifecycleLog.OrphanRemoved(logger, container.Id, instance);
            }
            catch (DockerNotFoundException)
            {
            }
            catch (DockerConflictException)
            {
                // Removal already in progress.
            }
        }

        var failures = SocketDirectory.Sweep(host.SocketRoot).Concat(SessionRegistry.Sweep(host.WorkspaceRoot)).ToList();
        if (failures.Count > 0)
        {
            LifecycleLog.CleanupFailed(logger, "orphan sweep", string.Join("; ", failures));
        }
    }
}
