using System.Text.Json.Serialization;

namespace NotebookGateway.Server.Monitoring;

/// <summary>Whose kernel a signal is about: decided by the gateway, never by what the kernel says.</summary>
public sealed record SignalSource(string KernelId, string User, string KernelName);

/// <summary>One event of a kernel's security timeline, as the API returns it.</summary>
public sealed record SecurityEvent
{
    [JsonPropertyName("time")]
    public required DateTimeOffset Time { get; init; }

    /// <summary>The last signal folded into this event (same kernel and kind within the coalescing window).</summary>
    [JsonPropertyName("last_time")]
    public required DateTimeOffset LastTime { get; init; }

    [JsonPropertyName("kernel_id")]
    public required string KernelId { get; init; }

    [JsonPropertyName("user")]
    public required string User { get; init; }

    [JsonPropertyName("kernel_name")]
    public required string KernelName { get; init; }

    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    [JsonPropertyName("detail")]
    public required string Detail { get; init; }

    /// <summary>Signals this event stands for.</summary>
    [JsonPropertyName("count")]
    public required long Count { get; init; }
}
