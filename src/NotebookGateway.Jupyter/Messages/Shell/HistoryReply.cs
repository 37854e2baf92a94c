using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>history_reply</c>.</summary>
public sealed record HistoryReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary>
    /// <c>history</c> (status ok only): a list of 3-tuples <c>[session, line_number, input]</c>, or
    /// <c>[session, line_number, [input, output]]</c> when the request asked for output.
    /// </summary>
    [JsonPropertyName("history")]
    public JsonElement? History { get; init; }

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
