using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>inspect_reply</c>: a mime bundle describing the inspected object.</summary>
public sealed record InspectReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary><c>found</c>: whether an object was found (status ok only).</summary>
    [JsonPropertyName("found")]
    public bool? Found { get; init; }

    /// <summary><c>data</c>: mime type mapped to representation; may be empty (status ok only).</summary>
    [JsonPropertyName("data")]
    public IReadOnlyDictionary<string, JsonElement>? Data { get; init; }

    /// <summary><c>metadata</c>: metadata of the bundle (status ok only).</summary>
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
