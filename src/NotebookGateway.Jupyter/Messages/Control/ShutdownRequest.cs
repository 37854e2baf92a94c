using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>shutdown_request</c>.</summary>
public sealed record ShutdownRequest
{
    /// <summary><c>restart</c>: true when the shutdown precedes a restart.</summary>
    [JsonPropertyName("restart")]
    public bool Restart { get; init; }
}
