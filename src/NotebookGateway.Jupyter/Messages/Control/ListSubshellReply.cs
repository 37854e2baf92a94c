using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>list_subshell_reply</c> (5.5).</summary>
public sealed record ListSubshellReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary><c>subshell_id</c>: ids of every subshell (a list, despite the singular name; status ok only).</summary>
    [JsonPropertyName("subshell_id")]
    public IReadOnlyList<string>? SubshellId { get; init; }

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
