namespace NotebookGateway.Docker.Models;

/// <summary>The body the engine sends with every 4xx/5xx: <c>{"message": "..."}</c>.</summary>
public sealed record ErrorResponse
{
    public string? Message { get; init; }
}
