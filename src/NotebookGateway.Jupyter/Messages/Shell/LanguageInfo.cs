using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary><c>kernel_info_reply.language_info</c>.</summary>
public sealed record LanguageInfo
{
    /// <summary><c>name</c>: the language, e.g. <c>python</c>.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init => field = value ?? ""; } = "";

    /// <summary><c>version</c>: the language version, e.g. <c>3.11.2</c>.</summary>
    [JsonPropertyName("version")]
    public string? Version { get; init; }

    /// <summary><c>mimetype</c> of script files.</summary>
    [JsonPropertyName("mimetype")]
    public string? Mimetype { get; init; }

    /// <summary><c>file_extension</c>, including the dot.</summary>
    [JsonPropertyName("file_extension")]
    public string? FileExtension { get; init; }

    /// <summary><c>pygments_lexer</c>, if it differs from <see cref="Name"/>.</summary>
    [JsonPropertyName("pygments_lexer")]
    public string? PygmentsLexer { get; init; }

    /// <summary><c>codemirror_mode</c>: a mode name (string) or a mode object such as <c>{"name": "ipython", "version": 3}</c>.</summary>
    [JsonPropertyName("codemirror_mode")]
    public JsonElement? CodemirrorMode { get; init; }

    /// <summary><c>nbconvert_exporter</c>, if not the generic <c>script</c> exporter.</summary>
    [JsonPropertyName("nbconvert_exporter")]
    public string? NbconvertExporter { get; init; }
}
