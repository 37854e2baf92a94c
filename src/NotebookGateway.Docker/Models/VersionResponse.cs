using System.Text.Json.Serialization;

namespace NotebookGateway.Docker.Models;

/// <summary>Answer of <c>GET /version</c>. Docker and Podman both fill the top-level fields.</summary>
public sealed record VersionResponse
{
    public string? Version { get; init; }

    public string? ApiVersion { get; init; }

    [JsonPropertyName("MinAPIVersion")]
    public string? MinApiVersion { get; init; }

    public string? Os { get; init; }

    public string? Arch { get; init; }

    public string? KernelVersion { get; init; }

    public EnginePlatform? Platform { get; init; }

    public IReadOnlyList<EngineComponent>? Components { get; init; }
}

public sealed record EnginePlatform
{
    public string? Name { get; init; }
}

public sealed record EngineComponent
{
    public string? Name { get; init; }

    public string? Version { get; init; }
}
