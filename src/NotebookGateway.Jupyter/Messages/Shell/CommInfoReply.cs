using System.Collections.ObjectModel;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>comm_info_reply</c> (5.1).</summary>
public sealed record CommInfoReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary><c>comms</c>: open comms keyed by comm id (status ok only).</summary>
    [JsonPropertyName("comms")]
    public IReadOnlyDictionary<string, CommInfo>? Comms { get; init; }

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
