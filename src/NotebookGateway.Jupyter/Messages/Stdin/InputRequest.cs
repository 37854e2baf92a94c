using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Stdin;

/// <summary>Content of <c>input_request</c>: the kernel asks the requesting client for a line of input.</summary>
public sealed record InputRequest
{
    /// <summary><c>prompt</c> to show.</summary>
    [JsonPropertyName("prompt")]
    public string Prompt { get; init => field = value ?? ""; } = "";

    /// <summary><c>password</c>: do not echo the input.</summary>
    [JsonPropertyName("password")]
    public bool Password { get; init; }
}
