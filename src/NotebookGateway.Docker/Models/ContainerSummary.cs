using System.Text.Json.Serialization;

namespace NotebookGateway.Docker.Models;

/// <summary>One entry of <c>GET /containers/json</c>.</summary>
public sealed record ContainerSummary
{
    public required string Id { get; init; }

    public IReadOnlyList<string>? Names { get; init; }

    public string? Image { get; init; }

    [JsonPropertyName("ImageID")]
    public string? ImageId { get; init; }

    public string? Command { get; init; }

    /// <summary>Unix seconds.</summary>
    public long Created { get; init; }

    public string? State { get; init; }

    public string? Status { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>Answer of <c>POST /containers/{id}/wait</c>.</summary>
public sealed record ContainerWaitResponse
{
    public long StatusCode { get; init; }

    public ContainerWaitError? Error { get; init; }
}

public sealed record ContainerWaitError
{
    public string? Message { get; init; }
}

/// <summary>Answer of <c>GET /containers/{id}/top</c>: a <c>ps</c> table.</summary>
public sealed record ContainerTopResponse
{
    public IReadOnlyList<string>? Titles { get; init; }

    public IReadOnlyList<IReadOnlyList<string>>? Processes { get; init; }
}
