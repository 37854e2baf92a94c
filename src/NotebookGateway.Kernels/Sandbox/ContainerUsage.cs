namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// A kernel's resource use as its current container's cgroup reports it. Every read asks which container is current,
/// so it follows the kernel across restarts; null when there is no container or its cgroup is gone.
/// </summary>
public sealed class ContainerUsage(ContainerCgroup cgroup, Func<string?> currentContainerId)
{
    /// <summary>Cumulative CPU seconds of the current container, with its id (a new id means a new container).</summary>
    public CpuSample? ReadCpu() =>
        currentContainerId() is { } id && cgroup.CpuSeconds(id) is { } seconds ? new CpuSample(id, seconds) : null;

    /// <summary>Memory charged to the current container, in bytes.</summary>
    public long? ReadMemoryBytes() => currentContainerId() is { } id ? cgroup.MemoryBytes(id) : null;

    /// <summary>How often the current container's pids limit refused a fork or a thread.</summary>
    public long? ReadPidsLimitHits() => currentContainerId() is { } id ? cgroup.PidsLimitHits(id) : null;

    /// <summary>Processes of the current container the OOM killer killed at its memory limit.</summary>
    public long? ReadOomKills() => currentContainerId() is { } id ? cgroup.OomKills(id) : null;

    /// <summary>Processes and threads in the current container.</summary>
    public long? ReadTasks() => currentContainerId() is { } id ? cgroup.Tasks(id) : null;
}

/// <summary>Cumulative CPU seconds of one container.</summary>
public readonly record struct CpuSample(string ContainerId, double Seconds);
