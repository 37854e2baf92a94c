using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NotebookGateway.Server.Kernels;

namespace NotebookGateway.Server.Api;

/// <summary>Kernel Gateway's Kernel model.</summary>
public sealed record KernelModel(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("last_activity")] string LastActivity,
    [property: JsonPropertyName("execution_state")] string ExecutionState,
    [property: JsonPropertyName("connections")] int Connections,
    [property: JsonPropertyName("reason")] string? Reason = null,
    [property: JsonPropertyName("gateway_execution_state"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? GatewayExecutionState = null)
{
    /// <remarks>
    /// <c>execution_state</c> is what the kernel last said; <c>gateway_execution_state</c> is present when the gateway's
    /// own view (outstanding cells, sandbox CPU) differs, and it is the one culling and the limits act on.
    /// <c>last_activity</c> is the last client request or sandbox CPU use.
    /// </remarks>
    public static KernelModel From(GatewayKernel kernel)
    {
        string claimed = kernel.ExecutionState;
        string measured = kernel.GatewayExecutionState;
        return new(
            kernel.Id,
            kernel.Sandbox.Spec.Name,
            Timestamp(kernel.LastActivity),
            claimed,
            kernel.Channels.Connections,
            kernel.Sandbox.DeathReason,
            measured == claimed ? null : measured);
    }

    /// <summary>ISO 8601 with microseconds and Z, as jupyter_server writes it.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

public sealed record KernelSpecBody(
    [property: JsonPropertyName("argv")] IReadOnlyList<string> Argv,
    [property: JsonPropertyName("env")] IReadOnlyDictionary<string, string> Env,
    [property: JsonPropertyName("display_name")] string DisplayName,
    [property: JsonPropertyName("language")] string Language,
    [property: JsonPropertyName("interrupt_mode")] string InterruptMode,
    [property: JsonPropertyName("metadata")] JsonElement? Metadata);

/// <summary>One kernelspec. <c>language_info</c> (ours, beside the standard fields): what the spec's kernel answered in
/// kernel_info when its image was verified at build time (name, version, mimetype, …); absent when unverified.
/// <c>network_policy</c> (ours): the policy this user's kernels of the spec run under (<c>none</c>: no network), and
/// <c>network_destinations</c> what it allows.</summary>
public sealed record KernelSpecModel(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("spec")] KernelSpecBody Spec,
    [property: JsonPropertyName("resources")] IReadOnlyDictionary<string, string> Resources,
    [property: JsonPropertyName("language_info"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObject? LanguageInfo = null,
    [property: JsonPropertyName("network_policy")] string NetworkPolicy = "none",
    [property: JsonPropertyName("network_destinations")] string NetworkDestinations = "");

public sealed record KernelSpecsModel(
    [property: JsonPropertyName("default")] string? Default,
    [property: JsonPropertyName("kernelspecs")] IReadOnlyDictionary<string, KernelSpecModel> KernelSpecs);

public sealed record NotebookPath([property: JsonPropertyName("path")] string Path);

/// <summary>jupyter_server's Session model, plus Kernel Gateway's <c>notebook.path</c>.</summary>
public sealed record SessionModel(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("kernel")] KernelModel? Kernel,
    [property: JsonPropertyName("notebook")] NotebookPath Notebook);

[JsonSerializable(typeof(KernelModel))]
[JsonSerializable(typeof(List<KernelModel>))]
[JsonSerializable(typeof(KernelSpecsModel))]
[JsonSerializable(typeof(KernelSpecModel))]
[JsonSerializable(typeof(SessionModel))]
[JsonSerializable(typeof(List<SessionModel>))]
[JsonSerializable(typeof(List<NotebookGateway.Server.Monitoring.SecurityEvent>))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ApiModelsJsonContext : JsonSerializerContext;
