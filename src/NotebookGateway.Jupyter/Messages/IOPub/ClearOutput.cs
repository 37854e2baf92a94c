using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>clear_output</c>.</summary>
public sealed record ClearOutput
{
    /// <summary><c>wait</c>: clear only when the next output arrives.</summary>
    [JsonPropertyName("wait")]
    public bool Wait { get; init; }
}
