using System.Text.Json.Serialization;

namespace NotebookGateway.Docker.Models;

/// <summary>
/// One object of the <c>GET /events</c> stream. Only the modern fields are mapped: the legacy lower-case
/// <c>status</c>/<c>id</c>/<c>from</c> were dropped by newer engines.
/// </summary>
public sealed record DockerEvent
{
    /// <summary><c>container</c>, <c>image</c>, <c>volume</c>, <c>network</c>, … (see <see cref="DockerEventTypes"/>).</summary>
    public string? Type { get; init; }

    /// <summary><c>create</c>, <c>start</c>, <c>die</c>, <c>oom</c>, <c>kill</c>, <c>destroy</c>, … Exec actions carry a suffix (<c>exec_start: sh</c>).</summary>
    public string? Action { get; init; }

    public EventActor? Actor { get; init; }

    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("time")]
    public long Time { get; init; }

    /// <summary>Unix nanoseconds.</summary>
    [JsonPropertyName("timeNano")]
    public long TimeNano { get; init; }

    /// <summary>When the event happened, from <see cref="TimeNano"/> (or <see cref="Time"/> if absent).</summary>
    [JsonIgnore]
    public DateTimeOffset Timestamp => TimeNano != 0
        ? DateTimeOffset.UnixEpoch.AddTicks(TimeNano / 100)
        : DateTimeOffset.FromUnixTimeSeconds(Time);
}

public sealed record EventActor
{
    /// <summary>Container id, image name, volume name, … depending on the event type.</summary>
    [JsonPropertyName("ID")]
    public string? Id { get; init; }

    /// <summary>Labels of the object plus event details such as <c>exitCode</c>, <c>signal</c>, <c>name</c>, <c>image</c>.</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }
}

public static class DockerEventTypes
{
    public const string Container = "container";
    public const string Image = "image";
    public const string Volume = "volume";
    public const string Network = "network";
}

public static class DockerEventActions
{
    public const string Create = "create";
    public const string Start = "start";
    public const string Die = "die";
    public const string Oom = "oom";
    public const string Kill = "kill";
    public const string Stop = "stop";
    public const string Destroy = "destroy";
}
