using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>history_request</c>.</summary>
public sealed record HistoryRequest
{
    /// <summary><c>output</c>: also return the output of each cell.</summary>
    [JsonPropertyName("output")]
    public bool Output { get; init; }

    /// <summary><c>raw</c>: return the raw input rather than the transformed one.</summary>
    [JsonPropertyName("raw")]
    public bool Raw { get; init; }

    /// <summary><c>hist_access_type</c>: one of <see cref="HistoryAccessTypes"/>.</summary>
    [JsonPropertyName("hist_access_type")]
    public string HistAccessType { get; init => field = value ?? HistoryAccessTypes.Tail; } = HistoryAccessTypes.Tail;

    /// <summary><c>session</c> (range): session number, negative counts back from the current one.</summary>
    [JsonPropertyName("session")]
    public int? Session { get; init; }

    /// <summary><c>start</c> (range): first cell number.</summary>
    [JsonPropertyName("start")]
    public int? Start { get; init; }

    /// <summary><c>stop</c> (range): cell number to stop at.</summary>
    [JsonPropertyName("stop")]
    public int? Stop { get; init; }

    /// <summary><c>n</c> (tail, search): how many cells.</summary>
    [JsonPropertyName("n")]
    public int? N { get; init; }

    /// <summary><c>pattern</c> (search): glob pattern with <c>*</c> and <c>?</c>.</summary>
    [JsonPropertyName("pattern")]
    public string? Pattern { get; init; }

    /// <summary><c>unique</c> (search): skip duplicates.</summary>
    [JsonPropertyName("unique")]
    public bool? Unique { get; init; }
}
