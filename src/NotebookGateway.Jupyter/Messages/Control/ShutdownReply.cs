using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>shutdown_reply</c>.</summary>
public sealed record ShutdownReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary><c>restart</c>: echoes the request (status ok only).</summary>
    [JsonPropertyName("restart")]
    public bool? Restart { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("ename")]
    public string? EName { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("evalue")]
    public string? EValue { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("traceback")]
    public IReadOnlyList<string>? Traceback { get; init; }
}
