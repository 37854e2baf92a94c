using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>comm_info_request</c> (5.1).</summary>
public sealed record CommInfoRequest
{
    /// <summary><c>target_name</c>: when set, only comms of this target are listed.</summary>
    [JsonPropertyName("target_name")]
    public string? TargetName { get; init; }
}
