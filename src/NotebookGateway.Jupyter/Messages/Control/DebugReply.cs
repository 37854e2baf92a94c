using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>debug_reply</c> (5.5): a Debug Adapter Protocol <c>Response</c> (no Jupyter <c>status</c>).</summary>
public sealed record DebugReply
{
    /// <summary><c>seq</c>: DAP sequence number.</summary>
    [JsonPropertyName("seq")]
    public int Seq { get; init; }

    /// <summary><c>type</c>: always <c>response</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init => field = value ?? "response"; } = "response";

    /// <summary><c>request_seq</c>: <c>seq</c> of the request answered.</summary>
    [JsonPropertyName("request_seq")]
    public int RequestSeq { get; init; }

    /// <summary><c>success</c>: whether the command succeeded.</summary>
    [JsonPropertyName("success")]
    public bool Success { get; init; }

    /// <summary><c>command</c>: the command answered.</summary>
    [JsonPropertyName("command")]
    public string Command { get; init => field = value ?? ""; } = "";

    /// <summary><c>message</c>: short error text when <see cref="Success"/> is false.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; init; }

    /// <summary><c>body</c>: command-specific, free-form.</summary>
    [JsonPropertyName("body")]
    public JsonElement? Body { get; init; }
}
