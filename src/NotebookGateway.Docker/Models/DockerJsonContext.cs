using System.Text.Json.Serialization;

namespace NotebookGateway.Docker.Models;

/// <summary>
/// Source-generated metadata for every Engine API body (no reflection at runtime). Nulls are omitted so the
/// engine applies its defaults; reads are case-insensitive because the engine mixes <c>Id</c>/<c>ID</c> and
/// <c>message</c>/<c>Message</c> across endpoints and versions.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ContainerCreateRequest))]
[JsonSerializable(typeof(ContainerCreateResponse))]
[JsonSerializable(typeof(ContainerInspectResponse))]
[JsonSerializable(typeof(IReadOnlyList<ContainerSummary>))]
[JsonSerializable(typeof(ContainerWaitResponse))]
[JsonSerializable(typeof(ContainerTopResponse))]
[JsonSerializable(typeof(ImageInspectResponse))]
[JsonSerializable(typeof(IReadOnlyList<ImageSummary>))]
[JsonSerializable(typeof(ProgressMessage))]
[JsonSerializable(typeof(VolumeCreateRequest))]
[JsonSerializable(typeof(Volume))]
[JsonSerializable(typeof(VolumeListResponse))]
[JsonSerializable(typeof(DockerEvent))]
public sealed partial class DockerJsonContext : JsonSerializerContext
{
}
