using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Comm;

/// <summary>Content of <c>comm_close</c>: tears a comm down on the other side.</summary>
public sealed record CommClose
{
    /// <summary><c>comm_id</c> of the comm.</summary>
    [JsonPropertyName("comm_id")]
    public string CommId { get; init => field = value ?? ""; } = "";

    /// <summary><c>data</c>: free-form.</summary>
    [JsonPropertyName("data")]
    public IReadOnlyDictionary<string, JsonElement> Data
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;
}
