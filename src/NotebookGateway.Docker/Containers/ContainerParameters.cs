using NotebookGateway.Docker.Models;

namespace NotebookGateway.Docker.Containers;

/// <summary>Options of <c>GET /containers/{id}/logs</c>.</summary>
public sealed record ContainerLogsParameters
{
    public bool Stdout { get; init; } = true;

    public bool Stderr { get; init; } = true;

    /// <summary>Only the last N lines; null is all.</summary>
    public int? Tail { get; init; }

    public bool Timestamps { get; init; }

    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    /// <summary>Keep the stream open for new output (streaming reads only).</summary>
    public bool Follow { get; init; }

    /// <summary>
    /// The container was created with <c>Tty</c>: its output is not multiplexed. Engines before API 1.42 do not
    /// say so in the response, so the caller has to.
    /// </summary>
    public bool Tty { get; init; }

    /// <summary>Cap on the bytes <see cref="ContainerOperations.GetLogsAsync"/> keeps (stdout and stderr together).</summary>
    public long MaxBytes { get; init; } = 16 * 1024 * 1024;
}

/// <summary>Options of <c>GET /containers/json</c>.</summary>
public sealed record ContainerListParameters
{
    /// <summary>Include stopped containers (the engine's default is running ones only).</summary>
    public bool All { get; init; } = true;

    public DockerFilters? Filters { get; init; }
}

/// <summary>What <c>POST /containers/{id}/wait</c> waits for.</summary>
public enum ContainerWaitCondition
{
    /// <summary>Returns at once if the container is not running.</summary>
    NotRunning,

    /// <summary>Waits for the next exit even if the container is stopped now.</summary>
    NextExit,

    /// <summary>Waits until the container is removed.</summary>
    Removed,
}
