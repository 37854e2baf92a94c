using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Comm;

/// <summary>Content of <c>comm_msg</c>: a one-way message to a comm's counterpart.</summary>
public sealed record CommMsg
{
    /// <summary><c>comm_id</c> of the comm.</summary>
    [JsonPropertyName("comm_id")]
    public string CommId { get; init => field = value ?? ""; } = "";

    /// <summary><c>data</c>: defined by the comm's own protocol.</summary>
    [JsonPropertyName("data")]
    public IReadOnlyDictionary<string, JsonElement> Data
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;
}
