using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>
/// Content of <c>execute_reply</c>, for every status: <c>ok</c> carries <c>payload</c> and
/// <c>user_expressions</c>, <c>error</c> carries <c>ename</c>/<c>evalue</c>/<c>traceback</c>.
/// </summary>
public sealed record ExecuteReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary>
    /// <c>execution_count</c>: the kernel's execution counter. The spec requires it for every status, but
    /// <c>aborted</c> replies from some kernels omit it, so it is nullable.
    /// </summary>
    [JsonPropertyName("execution_count")]
    public int? ExecutionCount { get; init; }

    /// <summary><c>payload</c> (deprecated): a list of payload dicts, each with a <c>source</c> key.</summary>
    [JsonPropertyName("payload")]
    public IReadOnlyList<JsonElement>? Payload { get; init; }

    /// <summary><c>user_expressions</c>: each requested name mapped to its rich result or error dict.</summary>
    [JsonPropertyName("user_expressions")]
    public IReadOnlyDictionary<string, JsonElement>? UserExpressions { get; init; }

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
