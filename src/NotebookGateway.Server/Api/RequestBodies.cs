using System.Text.Json;

namespace NotebookGateway.Server.Api;

/// <summary>
/// Reads request bodies by hand so every problem becomes a precise 400 (the reason names the member)
/// instead of a serializer exception.
/// </summary>
public static class RequestBodies
{
    /// <summary>The body as a JSON object; an empty body is <c>{}</c>.</summary>
    public static async Task<(JsonElement Body, IResult? Error)> ReadObjectAsync(HttpRequest request, int maxBytes = 1 << 20)
    {
        if (request.ContentLength > maxBytes)
        {
            return (default, JsonErrors.Create(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", $"The request body is larger than {maxBytes} bytes."));
        }
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return (default, JsonErrors.Create(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", $"The request body is larger than {maxBytes} bytes."));
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            using JsonDocument empty = JsonDocument.Parse("{}");
            return (empty.RootElement.Clone(), null);
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (default, BadRequest("The request body must be a JSON object."));
            }
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return (default, BadRequest($"The request body is not valid JSON: {ex.Message}"));
        }
    }

    public static bool TryGetString(JsonElement body, string name, out string? value, out IResult? error)
    {
        value = null;
        error = null;
        if (!body.TryGetProperty(name, out JsonElement element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            error = BadRequest($"'{name}' must be a string.");
            return false;
        }
        value = element.GetString();
        return true;
    }

    public static IResult BadRequest(string message) => JsonErrors.Create(StatusCodes.Status400BadRequest, "Bad Request", message);
}
