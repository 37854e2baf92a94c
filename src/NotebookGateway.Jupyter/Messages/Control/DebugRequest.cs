using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>debug_request</c> (5.5): a Debug Adapter Protocol <c>Request</c>.</summary>
public sealed record DebugRequest
{
    /// <summary><c>seq</c>: DAP sequence number.</summary>
    [JsonPropertyName("seq")]
    public int Seq { get; init; }

    /// <summary><c>type</c>: always <c>request</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init => field = value ?? "request"; } = "request";

    /// <summary><c>command</c>: the DAP command, e.g. <c>debugInfo</c>, <c>dumpCell</c>, <c>setBreakpoints</c>.</summary>
    [JsonPropertyName("command")]
    public string Command { get; init => field = value ?? ""; } = "";

    /// <summary><c>arguments</c>: command-specific, free-form.</summary>
    [JsonPropertyName("arguments")]
    public JsonElement? Arguments { get; init; }
}
