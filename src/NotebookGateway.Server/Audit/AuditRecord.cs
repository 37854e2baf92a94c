using System.Text.Json.Serialization;

namespace NotebookGateway.Server.Audit;

/// <summary>One line of the audit log: when, whose kernel.</summary>
public abstract record AuditEntry
{
    [JsonPropertyName("time")]
    public required DateTimeOffset Time { get; init; }

    [JsonPropertyName("user")]
    public required string User { get; init; }

    [JsonPropertyName("kernel_id")]
    public required string KernelId { get; init; }

    [JsonPropertyName("kernel_name")]
    public required string KernelName { get; init; }
}

/// <summary>
/// One completed (or refused) execution. Carries the code's SHA-256 and size, never the code, and nothing from the
/// request's credentials.
/// </summary>
public sealed record AuditRecord : AuditEntry
{
    [JsonPropertyName("msg_id")]
    public required string MsgId { get; init; }

    [JsonPropertyName("code_sha256")]
    public required string CodeSha256 { get; init; }

    [JsonPropertyName("code_bytes")]
    public required long CodeBytes { get; init; }

    [JsonPropertyName("duration_seconds")]
    public required double DurationSeconds { get; init; }

    /// <summary>ok, error, aborted, timeout or refused.</summary>
    [JsonPropertyName("outcome")]
    public required string Outcome { get; init; }

    /// <summary>The limit that stopped or refused the cell (wall_clock, cpu, rate, admission), if any.</summary>
    [JsonPropertyName("limit")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Limit { get; init; }

    /// <summary>The admission rule that refused the cell (<c>code_size</c> or a deny rule's name), if one did.</summary>
    [JsonPropertyName("rule")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Rule { get; init; }
}

/// <summary>A behaviour signal of a kernel (a limit hit, a denied attempt), as its security timeline records it.</summary>
public sealed record SecurityAuditRecord : AuditEntry
{
    [JsonPropertyName("event")]
    public string Event => "security";

    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    [JsonPropertyName("detail")]
    public required string Detail { get; init; }
}

[JsonSerializable(typeof(AuditRecord))]
[JsonSerializable(typeof(SecurityAuditRecord))]
[JsonSerializable(typeof(EgressAuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
