using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>execute_input</c>: re-broadcast of the code being executed.</summary>
public sealed record ExecuteInput
{
    /// <summary><c>code</c> being executed.</summary>
    [JsonPropertyName("code")]
    public string Code { get; init => field = value ?? ""; } = "";

    /// <summary><c>execution_count</c> of this execution.</summary>
    [JsonPropertyName("execution_count")]
    public int ExecutionCount { get; init; }
}
