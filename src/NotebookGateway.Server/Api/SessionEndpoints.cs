using System.Text.Json;
using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Api;

/// <summary>
/// <c>/api/sessions</c>: a session (path) owns a notebook workspace; its kernel runs in that workspace, and a
/// change of kernel keeps it. Deleting the session shuts the kernel down and ends the workspace.
/// </summary>
public static class SessionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/sessions", (HttpContext context, SessionStore sessions, GatewayKernelRegistry kernels, IOptions<GatewayOptions> options) =>
        {
            if (!options.Value.ListKernels)
            {
                return JsonErrors.Create(StatusCodes.Status403Forbidden, "Forbidden", "Listing sessions is disabled (Gateway:ListKernels).");
            }
            string user = GatewayUser.Get(context);
            return Results.Json(sessions.List(user).Select(s => ToModel(s, kernels, user)).ToList(), ApiModelsJsonContext.Default.ListSessionModel);
        });

        app.MapPost("/api/sessions", async (HttpContext context, KernelStarter starter, GatewayKernelRegistry kernels, IOptions<GatewayOptions> options) =>
        {
            (JsonElement body, IResult? error) = await RequestBodies.ReadObjectAsync(context.Request);
            if (error is not null)
            {
                return error;
            }
            string? path = ReadPath(body);
            if (string.IsNullOrEmpty(path))
            {
                return RequestBodies.BadRequest("Missing field 'path'.");
            }
            string user = GatewayUser.Get(context);
            var request = new NewSession(path, ReadString(body, "name") ?? "", ReadString(body, "type") ?? "notebook", SpecName(body, options.Value));
            (SessionRecord? session, _, StartFailure? failure) = await starter.CreateSessionAsync(request, user, context.RequestAborted);
            return failure is not null ? failure.ToResult() : Created(session!, kernels, user, options.Value);
        });

        app.MapGet("/api/sessions/{sessionId}", (string sessionId, HttpContext context, SessionStore sessions, GatewayKernelRegistry kernels) =>
        {
            string user = GatewayUser.Get(context);
            return sessions.TryGet(sessionId, user, out SessionRecord session)
                ? Results.Json(ToModel(session, kernels, user), ApiModelsJsonContext.Default.SessionModel)
                : NotFound(sessionId);
        });

        app.MapMethods("/api/sessions/{sessionId}", [HttpMethods.Patch], async (string sessionId, HttpContext context, SessionStore sessions, GatewayKernelRegistry kernels, KernelStarter starter, IOptions<GatewayOptions> options) =>
        {
            string user = GatewayUser.Get(context);
            if (!sessions.TryGet(sessionId, user, out SessionRecord session))
            {
                return NotFound(sessionId);
            }
            (JsonElement body, IResult? error) = await RequestBodies.ReadObjectAsync(context.Request);
            if (error is not null)
            {
                return error;
            }
            if (ReadPath(body) is { Length: > 0 } path)
            {
                session.Path = path;
            }
            session.Name = ReadString(body, "name") ?? session.Name;
            session.Type = ReadString(body, "type") ?? session.Type;
            if (body.TryGetProperty("kernel", out JsonElement kernelElement) && kernelElement.ValueKind == JsonValueKind.Object)
            {
                if (kernelElement.TryGetProperty("id", out JsonElement idElement) && idElement.ValueKind == JsonValueKind.String)
                {
                    if (!kernels.TryGet(idElement.GetString()!, user, out _))
                    {
                        return RequestBodies.BadRequest($"Kernel does not exist: {idElement.GetString()}");
                    }
                    session.KernelId = idElement.GetString();
                }
                else if (kernelElement.TryGetProperty("name", out JsonElement nameElement) && nameElement.ValueKind == JsonValueKind.String)
                {
                    // A change of kernel: the new one runs in the same workspace, the old one goes.
                    (_, StartFailure? failure) = await starter.ReplaceSessionKernelAsync(session, SpecName(body, options.Value), user, context.RequestAborted);
                    if (failure is not null)
                    {
                        return failure.ToResult();
                    }
                }
            }
            sessions.Save(session);
            return Results.Json(ToModel(session, kernels, user), ApiModelsJsonContext.Default.SessionModel);
        });

        app.MapDelete("/api/sessions/{sessionId}", async (string sessionId, HttpContext context, SessionStore sessions, GatewayKernelRegistry kernels, KernelQuotas quotas) =>
        {
            string user = GatewayUser.Get(context);
            if (!sessions.TryGet(sessionId, user, out SessionRecord session))
            {
                return NotFound(sessionId);
            }
            sessions.Remove(sessionId);
            quotas.ReleaseSession(sessionId);
            if (session.KernelId is { } kernelId && kernels.TryGet(kernelId, user, out GatewayKernel kernel))
            {
                await kernels.ShutdownAsync(kernel, CancellationToken.None);
            }
            await kernels.EndWorkspaceAsync(session.WorkspaceKey, CancellationToken.None);
            return Results.NoContent();
        });
    }

    /// <summary>The body's <c>kernel.name</c>, or the default spec.</summary>
    private static string SpecName(JsonElement body, GatewayOptions options) =>
        body.TryGetProperty("kernel", out JsonElement kernel) && kernel.ValueKind == JsonValueKind.Object
            && kernel.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String && name.GetString() is { Length: > 0 } requested
            ? requested
            : options.DefaultKernelName;

    private static IResult Created(SessionRecord session, GatewayKernelRegistry kernels, string user, GatewayOptions options)
    {
        return new CreatedSession(ToModel(session, kernels, user), $"{options.BaseUrl}api/sessions/{session.Id}");
    }

    private static SessionModel ToModel(SessionRecord session, GatewayKernelRegistry kernels, string user)
    {
        KernelModel? kernel = session.KernelId is { } id && kernels.TryGet(id, user, out GatewayKernel k) ? KernelModel.From(k) : null;
        return new SessionModel(session.Id, session.Path, session.Name, session.Type, kernel, new NotebookPath(session.Path));
    }

    /// <summary><c>path</c>, or the legacy <c>notebook.path</c>.</summary>
    private static string? ReadPath(JsonElement body)
    {
        if (ReadString(body, "path") is { } path)
        {
            return path;
        }
        return body.TryGetProperty("notebook", out JsonElement notebook) && notebook.ValueKind == JsonValueKind.Object
            ? ReadString(notebook, "path")
            : null;
    }

    private static string? ReadString(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IResult NotFound(string sessionId) =>
        JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found", $"Session not found: {sessionId}");

    /// <summary>201 with a Location header and the session model.</summary>
    private sealed class CreatedSession(SessionModel model, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return Results.Json(model, ApiModelsJsonContext.Default.SessionModel, statusCode: StatusCodes.Status201Created).ExecuteAsync(httpContext);
        }
    }
}
