using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>kernel_info_reply</c>. The success members are null on an error reply.</summary>
public sealed record KernelInfoReply : IReplyContent
{
    /// <inheritdoc/>
    [JsonPropertyName("status")]
    public string Status { get; init => field = value ?? ReplyStatus.Ok; } = ReplyStatus.Ok;

    /// <summary><c>protocol_version</c>: messaging protocol version, e.g. <c>5.3</c>.</summary>
    [JsonPropertyName("protocol_version")]
    public string? ProtocolVersion { get; init; }

    /// <summary><c>implementation</c>: kernel implementation name, e.g. <c>ipython</c>.</summary>
    [JsonPropertyName("implementation")]
    public string? Implementation { get; init; }

    /// <summary><c>implementation_version</c>.</summary>
    [JsonPropertyName("implementation_version")]
    public string? ImplementationVersion { get; init; }

    /// <summary><c>language_info</c>.</summary>
    [JsonPropertyName("language_info")]
    public LanguageInfo? LanguageInfo { get; init; }

    /// <summary><c>banner</c> shown by console frontends.</summary>
    [JsonPropertyName("banner")]
    public string? Banner { get; init; }

    /// <summary><c>debugger</c> (deprecated in 5.5 by <see cref="SupportedFeatures"/> containing <c>debugger</c>).</summary>
    [JsonPropertyName("debugger")]
    public bool? Debugger { get; init; }

    /// <summary><c>help_links</c> for the help menu.</summary>
    [JsonPropertyName("help_links")]
    public IReadOnlyList<HelpLink>? HelpLinks { get; init; }

    /// <summary><c>supported_features</c> (5.5), e.g. <c>debugger</c>, <c>kernel subshells</c>.</summary>
    [JsonPropertyName("supported_features")]
    public IReadOnlyList<string>? SupportedFeatures { get; init; }

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
