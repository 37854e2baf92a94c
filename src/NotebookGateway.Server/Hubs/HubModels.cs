using System.Text.Json.Serialization;

namespace NotebookGateway.Server.Hubs;

/// <summary>The argument of <c>StartKernel</c>.</summary>
public sealed class StartKernelOptions
{
    /// <summary>A kernelspec name; empty = <c>Gateway:DefaultKernelName</c>.</summary>
    [JsonPropertyName("kernelName")]
    public string? KernelName { get; set; }

    /// <summary>A notebook session path (e.g. the page path): its kernel is reused while alive, so cells of one page share state.</summary>
    [JsonPropertyName("session")]
    public string? Session { get; set; }
}

/// <summary>The result of <c>StartKernel</c>.</summary>
public sealed record StartKernelResult(
    [property: JsonPropertyName("kernelId")] string KernelId,
    [property: JsonPropertyName("kernelName")] string KernelName,
    [property: JsonPropertyName("session")] string? Session,
    [property: JsonPropertyName("attached")] bool Attached);

/// <summary>The optional fourth argument of <c>Execute</c> (pass <c>null</c> for the defaults).</summary>
public sealed class ExecuteOptions
{
    [JsonPropertyName("silent")]
    public bool Silent { get; set; }

    [JsonPropertyName("storeHistory")]
    public bool StoreHistory { get; set; } = true;

    [JsonPropertyName("allowStdin")]
    public bool AllowStdin { get; set; } = true;

    /// <summary>Jupyter's stop_on_error: an error aborts the requests queued behind it (default true, as in Jupyter).</summary>
    [JsonPropertyName("stopOnError")]
    public bool StopOnError { get; set; } = true;
}
