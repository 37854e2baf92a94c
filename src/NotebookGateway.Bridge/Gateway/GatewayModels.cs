using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Bridge.Gateway;

/// <summary>The parts of the Kernel Gateway API's Kernel model the bridge reads.</summary>
public sealed record RemoteKernel(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("execution_state")] string? ExecutionState);

public sealed record RemoteKernelSpecBody(
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("language")] string? Language,
    [property: JsonPropertyName("interrupt_mode")] string? InterruptMode,
    [property: JsonPropertyName("metadata")] JsonElement? Metadata);

public sealed record RemoteKernelSpec(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("spec")] RemoteKernelSpecBody? Spec,
    [property: JsonPropertyName("resources")] IReadOnlyDictionary<string, string>? Resources);

public sealed record RemoteKernelSpecs(
    [property: JsonPropertyName("default")] string? Default,
    [property: JsonPropertyName("kernelspecs")] IReadOnlyDictionary<string, RemoteKernelSpec>? KernelSpecs);

/// <summary>Kernel Gateway's error body.</summary>
public sealed record RemoteError(
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("message")] string? Message);

public sealed record StartKernelBody(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("env")] IReadOnlyDictionary<string, string> Env);

[JsonSerializable(typeof(RemoteKernel))]
[JsonSerializable(typeof(RemoteKernelSpecs))]
[JsonSerializable(typeof(RemoteError))]
[JsonSerializable(typeof(StartKernelBody))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
