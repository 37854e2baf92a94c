using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>is_complete_reply</c> (5.0).</summary>
public sealed record IsCompleteReply : IReplyContent
{
    /// <summary><c>status</c>: one of <see cref="IsCompleteStatuses"/>, or <c>error</c>.</summary>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? IsCompleteStatuses.Unknown; } = IsCompleteStatuses.Unknown;

    /// <summary><c>indent</c>: indentation hint for the next line (status <c>incomplete</c> only).</summary>
    [JsonPropertyName("indent")]
    public string? Indent { get; init; }

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
