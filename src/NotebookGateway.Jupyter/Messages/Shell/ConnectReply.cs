using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>connect_reply</c> (deprecated since 5.1). An omitted port means that channel is not running.</summary>
public sealed record ConnectReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary><c>shell_port</c>.</summary>
    [JsonPropertyName("shell_port")]
    public int? ShellPort { get; init; }

    /// <summary><c>iopub_port</c>.</summary>
    [JsonPropertyName("iopub_port")]
    public int? IOPubPort { get; init; }

    /// <summary><c>stdin_port</c>.</summary>
    [JsonPropertyName("stdin_port")]
    public int? StdinPort { get; init; }

    /// <summary><c>hb_port</c>.</summary>
    [JsonPropertyName("hb_port")]
    public int? HbPort { get; init; }

    /// <summary><c>control_port</c>.</summary>
    [JsonPropertyName("control_port")]
    public int? ControlPort { get; init; }

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
