using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>One entry of <c>comm_info_reply.comms</c>.</summary>
public sealed record CommInfo
{
    /// <summary><c>target_name</c> of the open comm.</summary>
    [JsonPropertyName("target_name")]
    public string TargetName { get; init => field = value ?? ""; } = "";
}
