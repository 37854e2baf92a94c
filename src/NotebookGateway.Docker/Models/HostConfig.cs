namespace NotebookGateway.Docker.Models;

/// <summary>
/// The part of a container's configuration that the host enforces: the sandbox envelope. Used both to
/// create a container and to read back what the engine actually applied (inspect).
/// </summary>
public sealed record HostConfig
{
    /// <summary><c>"none"</c> for sandboxes: no interface but loopback.</summary>
    public string? NetworkMode { get; init; }

    public bool? ReadonlyRootfs { get; init; }

    public IReadOnlyList<string>? CapDrop { get; init; }

    public IReadOnlyList<string>? CapAdd { get; init; }

    /// <summary>
    /// E.g. <c>"no-new-privileges"</c> and <c>"seccomp=&lt;json&gt;"</c>: the Engine API takes the seccomp
    /// profile inline, a file path fails when the container starts.
    /// </summary>
    public IReadOnlyList<string>? SecurityOpt { get; init; }

    public long? PidsLimit { get; init; }

    /// <summary>Bytes.</summary>
    public long? Memory { get; init; }

    /// <summary>Memory plus swap, bytes; equal to <see cref="Memory"/> means no swap.</summary>
    public long? MemorySwap { get; init; }

    public long? MemoryReservation { get; init; }

    /// <summary>CPU quota in units of 1e-9 CPUs. Cannot be combined with <see cref="CpuPeriod"/>/<see cref="CpuQuota"/>.</summary>
    public long? NanoCpus { get; init; }

    public long? CpuPeriod { get; init; }

    public long? CpuQuota { get; init; }

    public IReadOnlyList<Ulimit>? Ulimits { get; init; }

    /// <summary>Container path → mount options, e.g. <c>"/tmp" → "size=64m,mode=1777,noexec,nosuid,nodev"</c>.</summary>
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }

    /// <summary>Size of <c>/dev/shm</c>, bytes.</summary>
    public long? ShmSize { get; init; }

    /// <summary>Run the engine's init (tini) as PID 1 so zombies are reaped and signals forwarded.</summary>
    public bool? Init { get; init; }

    /// <summary><c>"host-path:container-path[:options]"</c>.</summary>
    public IReadOnlyList<string>? Binds { get; init; }

    public IReadOnlyList<Mount>? Mounts { get; init; }

    /// <summary>OCI runtime, e.g. <c>"runsc"</c> for gVisor; null is the engine's default (runc).</summary>
    public string? Runtime { get; init; }

    public bool? AutoRemove { get; init; }

    public bool? OomKillDisable { get; init; }

    public string? IpcMode { get; init; }

    public string? PidMode { get; init; }

    public string? UsernsMode { get; init; }

    /// <summary>Always sent (false) rather than left to a default: a sandbox is never privileged.</summary>
    public bool Privileged { get; init; }

    public LogConfig? LogConfig { get; init; }

    public RestartPolicy? RestartPolicy { get; init; }

    /// <summary>Storage driver options, e.g. <c>size</c> on overlay2 over xfs with project quotas.</summary>
    public IReadOnlyDictionary<string, string>? StorageOpt { get; init; }
}

/// <summary>An rlimit, e.g. <c>{ Name = "nofile", Soft = 1024, Hard = 1024 }</c>.</summary>
public sealed record Ulimit
{
    public required string Name { get; init; }

    public long Soft { get; init; }

    public long Hard { get; init; }
}

public sealed record LogConfig
{
    public string? Type { get; init; }

    public IReadOnlyDictionary<string, string>? Config { get; init; }
}

public sealed record RestartPolicy
{
    /// <summary><c>""</c>/<c>"no"</c>, <c>"always"</c>, <c>"unless-stopped"</c>, <c>"on-failure"</c>.</summary>
    public string? Name { get; init; }

    public int? MaximumRetryCount { get; init; }
}
