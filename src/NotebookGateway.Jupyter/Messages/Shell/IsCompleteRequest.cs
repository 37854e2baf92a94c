using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>is_complete_request</c> (5.0): is the code ready to run?</summary>
public sealed record IsCompleteRequest
{
    /// <summary><c>code</c>: the code entered so far.</summary>
    [JsonPropertyName("code")]
    public string Code { get; init => field = value ?? ""; } = "";
}
