using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>
/// Content of <c>stream</c>. Named <c>StreamOutput</c> because <c>Stream</c> clashes with <see cref="System.IO.Stream"/>
/// and <c>StreamContent</c> with <see cref="System.Net.Http.StreamContent"/>, both imported by implicit usings.
/// </summary>
public sealed record StreamOutput
{
    /// <summary><c>name</c>: one of <see cref="StreamNames"/>.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init => field = value ?? StreamNames.Stdout; } = StreamNames.Stdout;

    /// <summary><c>text</c> to append to the stream.</summary>
    [JsonPropertyName("text")]
    public string Text { get; init => field = value ?? ""; } = "";
}
