using System.Text.Json.Serialization;

namespace NotebookGateway.Docker.Models;

/// <summary>Answer of <c>GET /containers/{id}/json</c> (the fields the gateway reads).</summary>
public sealed record ContainerInspectResponse
{
    public required string Id { get; init; }

    /// <summary>The engine reports it with a leading <c>/</c>.</summary>
    public string? Name { get; init; }

    public DateTimeOffset? Created { get; init; }

    public string? Path { get; init; }

    public IReadOnlyList<string>? Args { get; init; }

    public ContainerState? State { get; init; }

    /// <summary>Image id (<c>sha256:…</c>).</summary>
    public string? Image { get; init; }

    public int? RestartCount { get; init; }

    public ContainerConfig? Config { get; init; }

    /// <summary>The envelope as the engine applied it.</summary>
    public HostConfig? HostConfig { get; init; }

    public IReadOnlyList<MountPoint>? Mounts { get; init; }
}

public sealed record ContainerState
{
    /// <summary><c>created</c>, <c>running</c>, <c>paused</c>, <c>restarting</c>, <c>removing</c>, <c>exited</c>, <c>dead</c>.</summary>
    public string? Status { get; init; }

    public bool Running { get; init; }

    public bool Paused { get; init; }

    public bool Restarting { get; init; }

    [JsonPropertyName("OOMKilled")]
    public bool OomKilled { get; init; }

    public bool Dead { get; init; }

    public int Pid { get; init; }

    public long ExitCode { get; init; }

    public string? Error { get; init; }

    /// <summary><c>0001-01-01T00:00:00Z</c> when never started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>The container-side configuration as inspect reports it.</summary>
public sealed record ContainerConfig
{
    public string? Hostname { get; init; }

    public string? User { get; init; }

    public IReadOnlyList<string>? Env { get; init; }

    public IReadOnlyList<string>? Cmd { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public string? Image { get; init; }

    public string? WorkingDir { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public string? StopSignal { get; init; }

    public int? StopTimeout { get; init; }

    public bool? NetworkDisabled { get; init; }

    public bool? Tty { get; init; }
}

/// <summary>A mount as inspect reports it.</summary>
public sealed record MountPoint
{
    public string? Type { get; init; }

    public string? Name { get; init; }

    public string? Source { get; init; }

    public string? Destination { get; init; }

    public string? Driver { get; init; }

    public string? Mode { get; init; }

    [JsonPropertyName("RW")]
    public bool ReadWrite { get; init; }

    public string? Propagation { get; init; }
}
