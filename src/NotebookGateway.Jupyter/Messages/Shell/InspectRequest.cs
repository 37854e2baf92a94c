using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>inspect_request</c>: introspect the object at the cursor.</summary>
public sealed record InspectRequest
{
    /// <summary><c>code</c>: the context, up to a whole cell.</summary>
    [JsonPropertyName("code")]
    public string Code { get; init => field = value ?? ""; } = "";

    /// <summary><c>cursor_pos</c>: offset in Unicode code points (since 5.2).</summary>
    [JsonPropertyName("cursor_pos")]
    public int CursorPos { get; init; }

    /// <summary><c>detail_level</c>: 0 (like <c>x?</c>) or 1 (like <c>x??</c>).</summary>
    [JsonPropertyName("detail_level")]
    public int DetailLevel { get; init; }
}
