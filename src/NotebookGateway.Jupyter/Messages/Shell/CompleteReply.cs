using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>complete_reply</c>.</summary>
public sealed record CompleteReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary><c>matches</c>: every completion (status ok only).</summary>
    [JsonPropertyName("matches")]
    public IReadOnlyList<string>? Matches { get; init; }

    /// <summary><c>cursor_start</c>: start of the text the matches replace (status ok only).</summary>
    [JsonPropertyName("cursor_start")]
    public int? CursorStart { get; init; }

    /// <summary><c>cursor_end</c>: end of the text the matches replace (status ok only).</summary>
    [JsonPropertyName("cursor_end")]
    public int? CursorEnd { get; init; }

    /// <summary><c>metadata</c>: extra information for frontends (status ok only).</summary>
    [JsonPropertyName("metadata")]
    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }

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
