namespace NotebookGateway.Docker.Models;

/// <summary>
/// Body of <c>POST /containers/create</c>. Every property left null is omitted from the JSON so the
/// engine applies its own default.
/// </summary>
public sealed record ContainerCreateRequest
{
    public required string Image { get; init; }

    public IReadOnlyList<string>? Cmd { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public IReadOnlyList<string>? Env { get; init; }

    /// <summary><c>"uid:gid"</c> or a user name known to the image.</summary>
    public string? User { get; init; }

    public string? WorkingDir { get; init; }

    public string? Hostname { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public string? StopSignal { get; init; }

    /// <summary>Seconds the engine waits after <see cref="StopSignal"/> before SIGKILL.</summary>
    public int? StopTimeout { get; init; }

    public bool? Tty { get; init; }

    public bool? OpenStdin { get; init; }

    public bool? AttachStdin { get; init; }

    public bool? AttachStdout { get; init; }

    public bool? AttachStderr { get; init; }

    /// <summary>Belt and braces next to <c>HostConfig.NetworkMode = "none"</c>.</summary>
    public bool? NetworkDisabled { get; init; }

    public HostConfig? HostConfig { get; init; }
}

/// <summary>Answer of <c>POST /containers/create</c>.</summary>
public sealed record ContainerCreateResponse
{
    public required string Id { get; init; }

    public IReadOnlyList<string>? Warnings { get; init; }
}
