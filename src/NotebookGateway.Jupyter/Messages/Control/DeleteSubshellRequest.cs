using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>delete_subshell_request</c> (5.5).</summary>
public sealed record DeleteSubshellRequest
{
    /// <summary><c>subshell_id</c>: the subshell to delete.</summary>
    [JsonPropertyName("subshell_id")]
    public string SubshellId { get; init => field = value ?? ""; } = "";
}
