using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>display_data</c>: a mime bundle to show.</summary>
public sealed record DisplayData
{
    /// <summary><c>data</c>: mime type mapped to representation (string, or JSON for <c>application/json</c> and the like).</summary>
    [JsonPropertyName("data")]
    public IReadOnlyDictionary<string, JsonElement> Data
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;

    /// <summary><c>metadata</c>: global keys, or mime type mapped to per-representation metadata.</summary>
    [JsonPropertyName("metadata")]
    public IReadOnlyDictionary<string, JsonElement> Metadata
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;

    /// <summary><c>transient</c> (5.1): data not to persist, such as <c>display_id</c>.</summary>
    [JsonPropertyName("transient")]
    public IReadOnlyDictionary<string, JsonElement>? Transient { get; init; }
}
