using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>complete_request</c>: completions at the cursor.</summary>
public sealed record CompleteRequest
{
    /// <summary><c>code</c>: the context, up to a whole cell.</summary>
    [JsonPropertyName("code")]
    public string Code { get; init => field = value ?? ""; } = "";

    /// <summary><c>cursor_pos</c>: offset in Unicode code points (since 5.2).</summary>
    [JsonPropertyName("cursor_pos")]
    public int CursorPos { get; init; }
}
