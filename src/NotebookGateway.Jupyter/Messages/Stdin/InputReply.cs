using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Stdin;

/// <summary>Content of <c>input_reply</c>: the line the user typed (no <c>status</c>).</summary>
public sealed record InputReply
{
    /// <summary><c>value</c> entered by the user.</summary>
    [JsonPropertyName("value")]
    public string Value { get; init => field = value ?? ""; } = "";
}
