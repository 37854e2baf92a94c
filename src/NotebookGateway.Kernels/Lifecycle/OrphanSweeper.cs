using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Removes what an earlier gateway process of this owner left behind and nobody took back: its containers, then every
/// socket directory, connection file, mount and workspace under the owner's roots. Runs of this process
/// (<see cref="RunTable"/>, re-adopted ones included) and the workspaces of live sessions are left alone.
/// </summary>
public sealed class OrphanSweeper(DockerClient docker, SandboxHost host, RunTable runs, SessionRegistry sessions, ILogger<OrphanSweeper> logger)
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

        var failures = SocketDirectory.Sweep(host.SocketRoot, runs.Snapshot().Select(r => r.RunId)).Concat(sessions.Sweep()).ToList();
        if (failures.Count > 0)
        {
            LifecycleLog.CleanupFailed(logger, "orphan sweep", string.Join("; ", failures));
        }
    }
}
