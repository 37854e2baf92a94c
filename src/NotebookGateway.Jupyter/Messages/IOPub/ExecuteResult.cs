using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>execute_result</c>: a <c>display_data</c> bundle plus the execution counter.</summary>
public sealed record ExecuteResult
{
    /// <summary><c>execution_count</c> of the execution that produced the result.</summary>
    [JsonPropertyName("execution_count")]
    public int ExecutionCount { get; init; }

    /// <summary><c>data</c>: mime type mapped to representation; should include <c>text/plain</c>.</summary>
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

    /// <summary><c>transient</c> (5.1): data not to persist, such as <c>display_id</c>.</summary>
    [JsonPropertyName("transient")]
    public IReadOnlyDictionary<string, JsonElement>? Transient { get; init; }
}
