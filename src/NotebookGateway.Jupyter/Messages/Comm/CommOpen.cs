using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Comm;

/// <summary>Content of <c>comm_open</c>: opens a comm on the other side.</summary>
public sealed record CommOpen
{
    /// <summary><c>comm_id</c>: the comm's unique id.</summary>
    [JsonPropertyName("comm_id")]
    public string CommId { get; init => field = value ?? ""; } = "";

    /// <summary><c>target_name</c>: the constructor to use on the receiving side.</summary>
    [JsonPropertyName("target_name")]
    public string TargetName { get; init => field = value ?? ""; } = "";

    /// <summary><c>data</c>: initialisation data, free-form.</summary>
    [JsonPropertyName("data")]
    public IReadOnlyDictionary<string, JsonElement> Data
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, JsonElement>.Empty;
    } = ReadOnlyDictionary<string, JsonElement>.Empty;

    /// <summary><c>target_module</c>: optional module holding the target (sent by ipykernel, often null).</summary>
    [JsonPropertyName("target_module")]
    public string? TargetModule { get; init; }
}
