namespace NotebookGateway.Docker.Models;

/// <summary>Body of <c>POST /volumes/create</c>.</summary>
public sealed record VolumeCreateRequest
{
    /// <summary>Null lets the engine pick a random name.</summary>
    public string? Name { get; init; }

    /// <summary>Null is <c>local</c>.</summary>
    public string? Driver { get; init; }

    /// <summary>For the local driver: <c>type=tmpfs, device=tmpfs, o=size=64m,uid=1000</c>, or a bind device.</summary>
    public IReadOnlyDictionary<string, string>? DriverOpts { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>A volume as the engine reports it.</summary>
public sealed record Volume
{
    public required string Name { get; init; }

    public string? Driver { get; init; }

    public string? Mountpoint { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public string? Scope { get; init; }

    public IReadOnlyDictionary<string, string>? Options { get; init; }
}

/// <summary>Answer of <c>GET /volumes</c>.</summary>
public sealed record VolumeListResponse
{
    public IReadOnlyList<Volume>? Volumes { get; init; }

    public IReadOnlyList<string>? Warnings { get; init; }
}
