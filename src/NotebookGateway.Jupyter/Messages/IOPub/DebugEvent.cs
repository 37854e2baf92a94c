using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>debug_event</c> (5.5): a Debug Adapter Protocol <c>Event</c>.</summary>
public sealed record DebugEvent
{
    /// <summary><c>seq</c>: DAP sequence number.</summary>
    [JsonPropertyName("seq")]
    public int Seq { get; init; }

    /// <summary><c>type</c>: always <c>event</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init => field = value ?? "event"; } = "event";

    /// <summary><c>event</c>: the DAP event, e.g. <c>stopped</c>, <c>thread</c>, <c>output</c>.</summary>
    [JsonPropertyName("event")]
    public string Event { get; init => field = value ?? ""; } = "";

    /// <summary><c>body</c>: event-specific, free-form.</summary>
    [JsonPropertyName("body")]
    public JsonElement? Body { get; init; }
}
