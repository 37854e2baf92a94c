using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>status</c> (named <c>StatusContent</c>).</summary>
public sealed record StatusContent
{
    /// <summary><c>execution_state</c>: one of <see cref="ExecutionStates"/>.</summary>
    [JsonPropertyName("execution_state")]
    public string ExecutionState { get; init => field = value ?? ""; } = "";
}
