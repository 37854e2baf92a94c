using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>error</c> (named <c>ErrorContent</c>): an execution error, without status or counter.</summary>
public sealed record ErrorContent
{
    /// <summary><c>ename</c>: exception name.</summary>
    [JsonPropertyName("ename")]
    public string EName { get; init => field = value ?? ""; } = "";

    /// <summary><c>evalue</c>: exception value.</summary>
    [JsonPropertyName("evalue")]
    public string EValue { get; init => field = value ?? ""; } = "";

    /// <summary><c>traceback</c>: frames as strings, often with ANSI colour codes.</summary>
    [JsonPropertyName("traceback")]
    public IReadOnlyList<string> Traceback { get; init => field = value ?? []; } = [];
}
