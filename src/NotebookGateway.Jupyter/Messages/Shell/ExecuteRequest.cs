using System.Collections.ObjectModel;
using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>execute_request</c>: run code in the user namespace.</summary>
public sealed record ExecuteRequest
{
    /// <summary>
    /// Creates a request. The three flags that default to true are constructor parameters because the JSON source
    /// generator honours constructor defaults but not initializers of init-only properties (dotnet/runtime#84484):
    /// a message without them must still read as true.
    /// </summary>
    [JsonConstructor]
    public ExecuteRequest(bool storeHistory = true, bool allowStdin = true, bool stopOnError = true)
    {
        StoreHistory = storeHistory;
        AllowStdin = allowStdin;
        StopOnError = stopOnError;
    }

    /// <summary><c>code</c>: the source to execute, one or more lines.</summary>
    [JsonPropertyName("code")]
    public string Code { get; init => field = value ?? ""; } = "";

    /// <summary><c>silent</c>: execute as quietly as possible (no iopub output, no history). Default false.</summary>
    [JsonPropertyName("silent")]
    public bool Silent { get; init; }

    /// <summary><c>store_history</c>: record the input in history and bump the counter. Default true.</summary>
    [JsonPropertyName("store_history")]
    public bool StoreHistory { get; init; }

    /// <summary><c>user_expressions</c>: names mapped to expressions evaluated after the code.</summary>
    [JsonPropertyName("user_expressions")]
    public IReadOnlyDictionary<string, string> UserExpressions
    {
        get;
        init => field = value ?? ReadOnlyDictionary<string, string>.Empty;
    } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary><c>allow_stdin</c>: whether the kernel may send <c>input_request</c>. Default true.</summary>
    [JsonPropertyName("allow_stdin")]
    public bool AllowStdin { get; init; }

    /// <summary><c>stop_on_error</c>: abort the queued execute requests if this one raises. Default true.</summary>
    [JsonPropertyName("stop_on_error")]
    public bool StopOnError { get; init; }
}
