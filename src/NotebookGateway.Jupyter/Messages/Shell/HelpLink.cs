using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>One entry of <c>kernel_info_reply.help_links</c>.</summary>
public sealed record HelpLink
{
    /// <summary><c>text</c> shown in the help menu.</summary>
    [JsonPropertyName("text")]
    public string Text { get; init => field = value ?? ""; } = "";

    /// <summary><c>url</c>, kept as the kernel wrote it.</summary>
    [JsonPropertyName("url")]
    public string Url { get; init => field = value ?? ""; } = "";
}
