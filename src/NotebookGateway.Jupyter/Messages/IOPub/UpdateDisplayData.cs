using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>update_display_data</c> (5.1): replaces the display named by <c>transient.display_id</c>.</summary>
public sealed record UpdateDisplayData
{
    /// <summary><c>data</c>: mime type mapped to representation.</summary>
    [JsonPropertyName("data")]
    public IReadOnlyDictionary<string, JsonElement> Data
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;

    /// <summary><c>metadata</c> of the bundle.</summary>
    [JsonPropertyName("metadata")]
    public IReadOnlyDictionary<string, JsonElement> Metadata
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;

    /// <summary><c>transient</c>: required here, with the <c>display_id</c> to update.</summary>
    [JsonPropertyName("transient")]
    public IReadOnlyDictionary<string, JsonElement> Transient
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;
}
