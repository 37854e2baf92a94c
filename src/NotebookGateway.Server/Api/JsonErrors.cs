using System.Text.Json.Serialization;

namespace NotebookGateway.Server.Api;

/// <summary>Kernel Gateway's error shape: <c>{reason, message}</c>, never a traceback.</summary>
public sealed record ErrorBody(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("message")] string Message);

public sealed record VersionBody([property: JsonPropertyName("version")] string Version);

[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(VersionBody))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

public static class JsonErrors
{
    public static IResult Create(int status, string reason, string message = "") =>
        Results.Json(new ErrorBody(reason, message), ApiJsonContext.Default.ErrorBody, statusCode: status);
}
