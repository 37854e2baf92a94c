using System.Text.Json.Serialization;

namespace NotebookGateway.Server.Audit;

/// <summary>One decision of the egress proxy: a refused request, or an allowed connection when it ended (with its bytes).</summary>
public sealed record EgressAuditRecord : AuditEntry
{
    /// <summary>Always <c>egress</c>, so these lines are told apart from execution records.</summary>
    [JsonPropertyName("event")]
    public string Event => "egress";

    [JsonPropertyName("policy")]
    public required string Policy { get; init; }

    /// <summary>allowed or denied.</summary>
    [JsonPropertyName("decision")]
    public required string Decision { get; init; }

    [JsonPropertyName("method")]
    public required string Method { get; init; }

    /// <summary>host:port as the kernel asked for it.</summary>
    [JsonPropertyName("destination")]
    public required string Destination { get; init; }

    /// <summary>The address the proxy connected to.</summary>
    [JsonPropertyName("address")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Address { get; init; }

    [JsonPropertyName("status")]
    public required int Status { get; init; }

    [JsonPropertyName("bytes_up")]
    public required long BytesUp { get; init; }

    [JsonPropertyName("bytes_down")]
    public required long BytesDown { get; init; }

    [JsonPropertyName("reason")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }
}
